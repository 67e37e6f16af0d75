"""The member certificate download, audited for whoever downloads it."""

from django.db import transaction
from django.utils.translation import gettext as _

from kexie.errors import DomainError
from members.certificates import certificate_pdf
from members.models import Membership
from orgs.services.audit import audit_record


def certificate_render(*, actor, membership: Membership, site: str) -> bytes:
    """The member certificate PDF, audited for whoever downloads it (the member or an administrator);
    `site` is the public base address its QR code and printed link use (kexie.site.site_url)."""
    if not membership.number:
        raise DomainError(_("该会员尚未分配会员编号，无法生成会员证"))
    content = certificate_pdf(membership, site=site)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="certificate.download",
            obj=membership,
            org=membership.org,
            data={"number": membership.number},
        )
    return content
