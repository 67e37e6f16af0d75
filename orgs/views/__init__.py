from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from kexie.errors import DomainError, OutOfScope
from kexie.db_routing import replica_reads
from kexie.excel import xlsx_response
from kexie.page_cache import cached_until_write
from orgs.decorators import console_required, officer_required
from orgs.figures import BY_KEY, NOTES, TARGET_DEFINITIONS, definition_sections
from orgs.forms import (
    AdminAccountForm,
    HandlingDaysForm,
    OfficerAccountForm,
    ProgressFilterForm,
    StaffAccountForm,
    TargetForm,
    WebhookEndpointForm,
)
from orgs.models import OfficerRole, Target
from orgs.roles import is_console_user, officer_roles, works_with_people
from orgs.selectors import accounts as account_selectors
from orgs.selectors import progress as progress_selectors
from orgs.selectors import webhooks as webhook_selectors
from orgs.selectors.handling import handling_days_of
from orgs.selectors.scope import (
    org_visible_or_404,
    orgs_below_managed,
    orgs_managed_by,
    orgs_visible_to,
    orgs_with_accounts_managed_by,
)
from orgs.services import accounts as account_services
from orgs.services import handling as handling_services
from orgs.services import targets as target_services
from orgs.services import webhooks as webhook_services
from orgs.services.progress import dashboard_export

User = get_user_model()


# Where each 三员 officer lands after signing in.
_OFFICER_HOME = {
    OfficerRole.AUDIT.value: "orgs:audit_list",
    OfficerRole.SECURITY.value: "orgs:account_list",
    OfficerRole.SYSTEM.value: "orgs:system_org_list",
}

# The account pages: administrators for the orgs below theirs, 安全管理员 for their subtree.
accounts_required = officer_required(OfficerRole.SECURITY, administrators=True)


@require_safe
def home(request):
    """Landing page for visitors; signed-in users go to their own workspace."""
    user = request.user
    if user.is_authenticated:
        if works_with_people(request):
            return redirect("approvals:workbench")
        if is_console_user(request):
            return redirect(_OFFICER_HOME[sorted(officer_roles(request))[0]])
        return redirect("members:me")
    return render(request, "home.html")


@console_required
@require_GET
def org_detail(request, org_id: int):
    return _org_detail_page(request, org_visible_or_404(request.user, org_id))


def _org_detail_page(request, org, *, handling_form=None, status: int = 200):
    children = orgs_visible_to(request.user).filter(parent=org).order_by("code")
    context = {
        "org": org,
        "children": children,
        "ancestors": orgs_visible_to(request.user).filter(pk__in=org.get_ancestors().values("pk")),
        "can_manage": orgs_managed_by(request.user).filter(pk=org.pk).exists(),
        "administrators": account_selectors.administrators_of_visible(request.user, org),
        "handling_days": handling_days_of(org),
        "can_set_handling_days": request.user.is_superuser or orgs_below_managed(request.user).filter(pk=org.pk).exists(),
        "handling_form": handling_form or HandlingDaysForm(initial={"days": org.handling_days}),
    }
    return render(request, "orgs/detail.html", context, status=status)


@console_required
@require_POST
def org_handling_days(request, org_id: int):
    org = org_visible_or_404(request.user, org_id)
    form = HandlingDaysForm(request.POST)
    if form.is_valid():
        try:
            handling_services.org_handling_days_set(actor=request.user, org=org, days=form.cleaned_data["days"])
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error("days", exc.message)
        else:
            messages.success(request, _("已保存办理时限"))
            return redirect("orgs:detail", org.pk)
    return _org_detail_page(request, org, handling_form=form, status=400)


def _creates_staff(user) -> bool:
    return account_selectors.is_province_administrator(user) or account_selectors.is_security_officer_over_root(user)


@accounts_required
@require_GET
def account_list(request):
    accounts = account_selectors.admin_accounts_manageable_by(request.user)
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    enrolled = account_selectors.accounts_with_two_factor([a.pk for a in page])
    for account in page:
        account.two_factor_enabled = account.pk in enrolled
    context = {
        "page": page,
        "can_create": orgs_with_accounts_managed_by(request.user).exists(),
        "can_create_staff": _creates_staff(request.user),
        "can_create_officer": account_selectors.officer_orgs(request.user, OfficerRole.SECURITY).exists(),
    }
    return render(request, "orgs/account_list.html", context)


def _account_form_page(request, form, *, create, success_message, title: str):
    """Shared by both account forms: the service decides scope; a refused org looks like a missing page."""
    if request.method == "POST" and form.is_valid():
        try:
            account = create(actor=request.user, **form.cleaned_data)
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error("password", exc.messages)
        else:
            messages.success(request, success_message(account, form.cleaned_data))
            return redirect("orgs:account_list")
    return render(request, "orgs/account_form.html", {"form": form, "title": title})


@accounts_required
@require_http_methods(["GET", "POST"])
def account_create(request):
    orgs = orgs_with_accounts_managed_by(request.user).order_by("tree_id", "lft")
    if not orgs.exists():
        raise Http404
    form = AdminAccountForm(request.POST or None, orgs=orgs, initial={"org": request.GET.get("org")})
    return _account_form_page(
        request,
        form,
        create=account_services.admin_account_create,
        success_message=lambda account, data: _("已为“%(org)s”创建管理员账号 %(username)s")
        % {"org": data["org"].name, "username": account.username},
        title=_("新建组织管理员账号"),
    )


@accounts_required
@require_http_methods(["GET", "POST"])
def staff_create(request):
    if not _creates_staff(request.user):
        raise Http404
    return _account_form_page(
        request,
        StaffAccountForm(request.POST or None),
        create=account_services.staff_account_create,
        success_message=lambda account, data: _("已创建省科协工作人员账号 %(username)s") % {"username": account.username},
        title=_("新建省科协工作人员账号"),
    )


@officer_required(OfficerRole.SECURITY)
@require_http_methods(["GET", "POST"])
def officer_create(request):
    """新建三员账号: a 安全管理员 creates 系统管理员, 安全管理员 and 审计管理员 accounts inside its subtree."""
    orgs = account_selectors.officer_orgs(request.user, OfficerRole.SECURITY).order_by("tree_id", "lft")
    return _account_form_page(
        request,
        OfficerAccountForm(request.POST or None, orgs=orgs),
        create=account_services.officer_account_create,
        success_message=lambda account, data: _("已创建%(role)s账号 %(username)s")
        % {"role": OfficerRole(data["role"]).label, "username": account.username},
        title=_("新建三员账号"),
    )


def account_action(request, user_id: int, act, success_message: str):
    """Run an account service on another account: out of scope answers 404, the same as a missing account."""
    account = User.objects.filter(pk=user_id).first()
    if account is None:
        raise Http404
    try:
        act(actor=request.user, account=account)
    except OutOfScope:
        raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success_message % {"username": account.username})
    return redirect("orgs:account_list")


@accounts_required
@require_POST
def account_set_active(request, user_id: int, active: int):
    return account_action(
        request,
        user_id,
        lambda **kw: account_services.admin_account_set_active(active=bool(active), **kw),
        _("已启用账号 %(username)s") if active else _("已停用账号 %(username)s"),
    )


# --- progress: dashboards, targets, export -------------------------------------------------------------


def _dashboard_filters(request) -> tuple[ProgressFilterForm, int, str, int | None, str]:
    form = ProgressFilterForm(request.GET or None)
    form.is_valid()
    if "org" in form.errors:
        raise Http404  # a tampered org id looks like a missing page
    data = getattr(form, "cleaned_data", {})
    year = data.get("year") or timezone.localdate().year
    return form, year, data.get("kind") or "", data.get("org"), data.get("order") or progress_selectors.DEFAULT_ORDER


@console_required
@require_GET
@replica_reads
@cached_until_write
def progress_dashboard(request):
    form, year, kind, org_id, order = _dashboard_filters(request)
    key = None
    if not form.errors:
        key = progress_selectors.dashboard_cache_key(request.user, year=year, org_id=org_id, kind=kind, order=order)
    # The page reads only snapshots, which change with a recount: the rendered figures are kept until then.
    content = cache.get(key) if key else None
    if content is None:
        content = _dashboard_content(request, form, year, kind, org_id, order)
        if key:
            cache.set(key, content, settings.DASHBOARD_CACHE_SECONDS)
    # The content was rendered by this view's own template (autoescaped there), now or on an earlier request.
    return render(request, "orgs/dashboard.html", {"content": mark_safe(content)})


def _dashboard_content(request, form, year, kind, org_id, order) -> str:
    dashboard = progress_selectors.progress_dashboard(request.user, year=year, org_id=org_id, kind=kind, order=order)
    series = ("received", "approved", "new_members", "existing_registered")
    chart = {
        "labels": [f"{m}月" for m in dashboard.months],
        "series": [{"label": str(BY_KEY[key].label), "data": dashboard.monthly[key]} for key in series],
    }
    context = {
        "form": form,
        "dashboard": dashboard,
        "chart": chart,
        "years": progress_selectors.progress_years(year),
        "orders": progress_selectors.ORDERS,
        "refresh": progress_selectors.refresh_note(),
        "can_set_targets": progress_selectors.targets_settable_by(request.user).exists(),
    }
    return render_to_string("orgs/_dashboard_content.html", context, request=request)


@console_required
@require_GET
@replica_reads
def progress_dashboard_export(request):
    _form, year, kind, org_id, order = _dashboard_filters(request)
    dashboard = progress_selectors.progress_dashboard(request.user, year=year, org_id=org_id, kind=kind, order=order)
    content = dashboard_export(actor=request.user, dashboard=dashboard, year=year, kind=kind)
    return xlsx_response(f"{dashboard.root.name}-{year}年度发展进度.xlsx", content)


@console_required
@require_GET
def target_list(request):
    form, year, kind, _org, _order = _dashboard_filters(request)
    orgs = progress_selectors.targets_settable_by(request.user)
    if kind:
        orgs = orgs.filter(kind=kind)
    page = Paginator(orgs.order_by("tree_id", "lft"), 50).get_page(request.GET.get("page"))
    targets = progress_selectors.targets_of([o.pk for o in page], year)
    for org in page:
        org.year_targets = [
            (Target.Metric(m).label, targets.get(org.pk, {}).get(m)) for m in Target.metrics_for(org)
        ]
    return render(request, "orgs/dashboard_targets.html", {"page": page, "form": form, "year": year})


@console_required
@require_http_methods(["GET", "POST"])
def target_edit(request, org_id: int, year: int):
    org = progress_selectors.targets_settable_by(request.user).filter(pk=org_id).first()
    if org is None or year not in target_services.YEAR_RANGE:
        raise Http404
    current = progress_selectors.targets_of([org.pk], year).get(org.pk, {})
    form = TargetForm(request.POST or None, org=org, initial_values=current)
    if request.method == "POST" and form.is_valid():
        changed = {m: v for m, v in form.cleaned_data.items() if v is not None and v != current.get(m)}
        try:
            with transaction.atomic():
                for metric, value in changed.items():
                    target_services.target_set(actor=request.user, org=org, year=year, metric=metric, value=value)
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("已更新“%(org)s”%(year)s 年度目标 %(n)s 项") % {"org": org.name, "year": year, "n": len(changed)}
            )
            return redirect(f"{reverse('orgs:target_list')}?year={year}")
    return render(request, "orgs/dashboard_target_form.html", {"form": form, "org": org, "year": year})


@require_safe
@replica_reads
def progress_public(request):
    """动态公布申报情况: no login; aggregates by city and county only (under a national root: by province, and
    each province's page, chosen by `org`, by city and county)."""
    form = ProgressFilterForm(request.GET or None)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    year = cleaned.get("year") or timezone.localdate().year
    province = progress_selectors.public_province_or_404(cleaned["org"]) if cleaned.get("org") else None
    context = {
        "data": progress_selectors.progress_public(year, province),
        "form": form,
        "year": year,
        "years": progress_selectors.progress_years(year),
        "refresh": progress_selectors.refresh_note(),
    }
    return render(request, "progress/index.html", context)


@require_safe
@replica_reads
def progress_definitions(request):
    """What every figure means and which rule it measures: public, like the figures it explains."""
    context = {
        "sections": definition_sections(),
        "targets": list(TARGET_DEFINITIONS.values()),
        "notes": NOTES,
        "refresh": progress_selectors.refresh_note(),
    }
    return render(request, "progress/definitions.html", context)


# --- webhooks -------------------------------------------------------------------------------------------


@console_required
@require_http_methods(["GET", "POST"])
def webhook_list(request):
    """Endpoints of the administrator's subtree, and the form that registers one (its secret shown once)."""
    orgs = orgs_managed_by(request.user).order_by("tree_id", "lft")
    form = WebhookEndpointForm(request.POST or None, orgs=orgs) if orgs.exists() else None
    created = secret = None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                created, secret = webhook_services.webhook_endpoint_create(actor=request.user, **form.cleaned_data)
            except OutOfScope:
                raise Http404
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                form = WebhookEndpointForm(orgs=orgs)
    page = Paginator(webhook_selectors.webhook_endpoints_managed_by(request.user), 25).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "created": created, "secret": secret}
    response = render(request, "orgs/webhook_list.html", context)
    if secret:
        add_never_cache_headers(response)
    return response


@console_required
@require_GET
def webhook_detail(request, endpoint_id: int):
    endpoint = webhook_selectors.webhook_endpoint_managed_or_404(request.user, endpoint_id)
    page = Paginator(webhook_selectors.webhook_deliveries_of(endpoint), 25).get_page(request.GET.get("page"))
    return render(request, "orgs/webhook_detail.html", {"endpoint": endpoint, "page": page})


@console_required
@require_POST
def webhook_revoke(request, endpoint_id: int):
    endpoint = webhook_selectors.webhook_endpoint_managed_or_404(request.user, endpoint_id)
    try:
        webhook_services.webhook_endpoint_revoke(actor=request.user, endpoint=endpoint)
    except OutOfScope:
        raise Http404
    messages.success(request, _("已停用该端点，不再向其推送事件"))
    return redirect("orgs:webhook_detail", endpoint_id=endpoint.pk)


@console_required
@require_POST
def webhook_redeliver(request, delivery_id: int):
    delivery = webhook_selectors.webhook_delivery_managed_or_404(request.user, delivery_id)
    try:
        again = webhook_services.webhook_delivery_redeliver(actor=request.user, delivery=delivery)
    except OutOfScope:
        raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已重新投递，投递编号 %(id)s") % {"id": again.delivery_id})
    return redirect("orgs:webhook_detail", endpoint_id=delivery.endpoint_id)
