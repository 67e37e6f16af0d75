"""The applicant's notices."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from kexie.forms import parse_id
from kexie.redirects import next_url
from members.selectors.people import notices_for
from members.services.notices import notices_mark_read

PAGE_SIZE = 20


@login_required
@require_GET
def notice_list(request):
    page = Paginator(notices_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/notice_list.html", {"page": page})


@login_required
@require_POST
def notice_read(request):
    raw = request.POST.get("notice")
    notice_id = parse_id(raw) if raw else None
    if raw and notice_id is None:
        raise Http404
    notices_mark_read(user=request.user, notice_id=notice_id)
    return redirect(next_url(request, reverse("members:notice_list")))
