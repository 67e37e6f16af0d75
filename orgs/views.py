from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kexie.decorators import console_required
from kexie.errors import DomainError, OutOfScope
from orgs import selectors, services
from orgs.forms import AdminAccountForm, StaffAccountForm

User = get_user_model()


@console_required
def org_tree(request):
    orgs = selectors.org_tree_with_counts(request.user)
    return render(request, "orgs/tree.html", {"orgs": orgs})


@console_required
def org_detail(request, org_id: int):
    org = selectors.org_visible_or_404(request.user, org_id)
    children = selectors.orgs_visible_to(request.user).filter(parent=org).order_by("code")
    context = {
        "org": org,
        "children": children,
        "ancestors": selectors.orgs_visible_to(request.user).filter(pk__in=org.get_ancestors().values("pk")),
        "can_manage": selectors.orgs_managed_by(request.user).filter(pk=org.pk).exists(),
        "administrators": selectors.administrators_of_visible(request.user, org),
    }
    return render(request, "orgs/detail.html", context)


@console_required
def account_list(request):
    accounts = selectors.admin_accounts_manageable_by(request.user)
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "can_create": selectors.orgs_below_managed(request.user).exists() or request.user.is_superuser,
        "can_create_staff": selectors.is_province_administrator(request.user),
    }
    return render(request, "orgs/account_list.html", context)


@console_required
def account_create(request):
    orgs = selectors.orgs_below_managed(request.user).order_by("tree_id", "lft")
    if not orgs.exists():
        raise Http404
    form = AdminAccountForm(request.POST or None, orgs=orgs, initial={"org": request.GET.get("org")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.admin_account_create(actor=request.user, **data)
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error("password", exc.messages)
        else:
            messages.success(
                request, _("已为“%(org)s”创建管理员账号 %(username)s") % {"org": data["org"].name, "username": account.username}
            )
            return redirect("orgs:account_list")
    return render(request, "orgs/account_form.html", {"form": form, "title": _("新建组织管理员账号")})


@console_required
def staff_create(request):
    if not selectors.is_province_administrator(request.user):
        raise Http404
    form = StaffAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.staff_account_create(actor=request.user, **form.cleaned_data)
        except OutOfScope:
            raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error("password", exc.messages)
        else:
            messages.success(request, _("已创建省科协工作人员账号 %(username)s") % {"username": account.username})
            return redirect("orgs:account_list")
    return render(request, "orgs/account_form.html", {"form": form, "title": _("新建省科协工作人员账号")})


@console_required
@require_POST
def account_set_active(request, user_id: int, active: int):
    account = User.objects.filter(pk=user_id).first()
    if account is None:
        raise Http404
    try:
        services.admin_account_set_active(actor=request.user, account=account, active=bool(active))
    except OutOfScope:
        raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (_("已启用账号 %(username)s") if active else _("已停用账号 %(username)s")) % {"username": account.username},
        )
    return redirect("orgs:account_list")
