"""The audit console: the 审计管理员 (and each organisation administrator over their own subtree) reads, filters and
exports the audit trail; the 审计管理员 verifies its hash chain. Nothing here changes a row."""

from django.apps import apps
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kexie.db_routing import replica_reads
from kexie.excel import Sheet, csv_attachment, csv_bytes, filters_for_audit, workbook_bytes, xlsx_response
from orgs.audit_actions import audit_action_label, audit_actions_named
from orgs.decorators import officer_required
from orgs.forms import AuditFilterForm
from orgs.models import OfficerRole
from orgs.roles import officer_roles
from orgs.selectors.audit import (
    actor_display,
    audit_chain_verify,
    audit_events_filtered,
    audit_orgs_readable_by,
)
from orgs.services.audit import audit_export_record, audit_record

# An export beyond this many rows asks for narrower filters instead of building a file the browser times out on.
EXPORT_MAX_ROWS = 100_000

audit_readers = officer_required(OfficerRole.AUDIT, administrators=True)


def _object_types() -> dict[str, str]:
    """Every model of the project by its label (members.person → 个人资料): the filter's choices."""
    return {
        model._meta.label_lower: str(model._meta.verbose_name)
        for model in apps.get_models()
        if model._meta.app_label in ("orgs", "members", "approvals")
    }


def _filter_form(request) -> tuple[AuditFilterForm, dict]:
    orgs = audit_orgs_readable_by(request.user)
    if not orgs.exists():
        raise Http404  # provincial staff and anyone without a subtree to audit
    form = AuditFilterForm(
        request.GET or None, orgs=orgs, actions=audit_actions_named(),
        object_types=_object_types(),
    )
    if not form.is_bound:
        return form, {}
    if not form.is_valid() and form.has_error("org", "invalid_choice"):
        raise Http404  # a tampered organisation id looks like a missing page; a typed name is answered
    return form, getattr(form, "cleaned_data", {}) if form.is_valid() else {}


def _rows(events, object_types):
    for e in events:
        yield [
            timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), actor_display(e.actor), audit_action_label(e.action),
            e.org.name if e.org else "", object_types.get(e.object_type, e.object_type), e.object_id, e.comment,
            e.ip or "", e.hash,
        ]


HEADER = [_("时间"), _("操作人"), _("操作"), _("组织"), _("对象类型"), _("对象编号"), _("说明"), _("IP 地址"), _("校验值")]


@audit_readers
@require_GET
def audit_list(request):
    form, filters = _filter_form(request)
    events = audit_events_filtered(request.user, filters=filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    object_types = _object_types()
    for e in page:
        e.actor_label = actor_display(e.actor)
        e.object_label = object_types.get(e.object_type, e.object_type)
    context = {
        "form": form,
        "page": page,
        "query": request.GET.urlencode(),
        "can_verify": request.user.is_superuser or OfficerRole.AUDIT in officer_roles(request),
    }
    return render(request, "orgs/audit_list.html", context)


@audit_readers
@require_GET
@replica_reads
def audit_export(request, file_format: str):
    if file_format not in ("csv", "xlsx"):
        raise Http404
    form, filters = _filter_form(request)
    if form.is_bound and not form.is_valid():
        raise Http404
    events = audit_events_filtered(request.user, filters=filters)
    count = events.count()
    if count > EXPORT_MAX_ROWS:
        messages.error(request, _("符合条件的记录超过 %(n)s 条，请缩小时间范围后再导出") % {"n": EXPORT_MAX_ROWS})
        return audit_list(request)
    object_types = _object_types()
    filename = f"审计记录-{timezone.localdate():%Y%m%d}"
    rows = _rows(events.iterator(chunk_size=2000), object_types)
    header = [str(h) for h in HEADER]
    # The file is built before the export's own row is written, so it holds exactly the rows counted.
    if file_format == "csv":
        content = csv_bytes(header, rows)
    else:
        content = workbook_bytes([Sheet(str(_("审计记录")), header, rows)])
    audit_export_record(
        actor=request.user, org=filters.get("org"), filters=filters_for_audit(filters), rows=count,
        file_format=file_format,
    )
    if file_format == "csv":
        return csv_attachment(f"{filename}.csv", content)
    return xlsx_response(f"{filename}.xlsx", content)


@officer_required(OfficerRole.AUDIT)
@require_http_methods(["GET", "POST"])
def audit_verify(request):
    """校验: walk the whole chain and name the first broken link. The chain spans every organisation, so only
    the 审计管理员 runs it; the result is recorded."""
    report = None
    if request.method == "POST":
        report = audit_chain_verify()
        first = report.first_break
        audit_record(
            actor=request.user, action="audit.verify", obj=request.user,
            data={"intact": report.intact, "rows": report.rows_checked,
                  "first_break": first.event_id if first else None, "archive": first.archive if first else ""},
        )
    return render(request, "orgs/audit_verify.html", {"report": report})
