"""Member certificates: the member's own card page and download, the console download and the public
verification page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kexie.downloads import file_download
from kexie.errors import DomainError
from kexie.log_filters import referrer_hidden
from kexie.site import site_url
from members.certificates import mask_name, membership_id_from_token, membership_state
from members.selectors.certificates import membership_by_id, membership_of_user_or_404
from members.selectors.directory import membership_visible_or_404
from members.models import PersonAccess
from members.services.access import person_access_record
from members.services.certificates import certificate_render
from orgs.decorators import console_required


@console_required
@require_GET
def member_certificate(request, membership_id: int):
    membership = membership_visible_or_404(request.user, membership_id)
    response = _certificate_response(request, membership)
    person_access_record(
        viewer=request.user, person_ids=[membership.person_id], org=membership.org, what=PersonAccess.What.EXPORT,
        detail=_("会员证"),
    )
    return response


def _certificate_response(request, membership) -> HttpResponse:
    try:
        content = certificate_render(actor=request.user, membership=membership, site=site_url(request))
    except DomainError:
        raise Http404
    # Inline: the browser shows the certificate and offers to save it under this name.
    filename = f"会员证-{membership.person.name}-{membership.number}.pdf"
    return file_download(content, filename=filename, content_type="application/pdf", inline=True)


@login_required
@require_GET
def my_membership(request, membership_id: int):
    """The member's card (会员证) on screen: number, organisation and grade, with the PDF download."""
    membership = membership_of_user_or_404(request.user, membership_id)
    return render(request, "members/membership.html", {"m": membership})


@login_required
@require_GET
def my_certificate(request, membership_id: int):
    membership = membership_of_user_or_404(request.user, membership_id)
    return _certificate_response(request, membership)


@referrer_hidden
@require_GET
def certificate_verify(request, token: str):
    membership_id = membership_id_from_token(token)
    membership = membership_by_id(membership_id) if membership_id else None
    if membership is None:
        return render(request, "approvals/verify.html", {"found": False}, status=404)
    is_valid, state = membership_state(membership)
    context = {
        "found": True,
        "masked_name": mask_name(membership.person.name),
        "number": membership.number,
        "org": membership.org,
        "is_valid": is_valid,
        "status": state,
    }
    return render(request, "approvals/verify.html", context)
