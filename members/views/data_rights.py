"""One's own data: see and download everything held, and delete the account."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kexie.downloads import file_download
from members import exports
from members.models import Person
from members.selectors.data_rights import person_data
from members.selectors.people import memberships_of, person_for
from members.services.data_rights import account_delete as account_delete_service, person_data_exported
from members.signals import account_delete_page_shown, page_context


@login_required
@require_GET
def my_data(request):
    return render(request, "members/data.html", {"data": person_data(request.user)})


def _export(request, fmt: str):
    data = person_data(request.user)
    person_data_exported(user=request.user, fmt=fmt)
    if fmt == "json":
        body, content_type = exports.person_data_json(data), "application/json; charset=utf-8"
    else:
        body = exports.person_data_xlsx(data)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = file_download(body, filename=f"我的数据-{timezone.localdate():%Y%m%d}.{fmt}", content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def my_data_json(request):
    return _export(request, "json")


@login_required
@require_GET
def my_data_xlsx(request):
    return _export(request, "xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    person = person_for(request.user)
    error = ""
    if request.method == "POST":
        if not request.user.check_password(request.POST.get("password", "")):
            error = _("密码不正确")
        else:
            result = account_delete_service(user=request.user)
            logout(request)
            if result["person_kept"]:
                messages.info(request, _("账号已注销。与会员资格和申请记录有关的资料已按说明保留并限制处理。"))
            else:
                messages.info(request, _("账号已注销，您的个人资料已删除。"))
            return redirect("home")
    return render(
        request,
        "members/account_delete.html",
        {
            "person": person,
            "memberships": list(memberships_of(person)),
            "error": error,
            # Open applications that will be withdrawn and decided ones that will be kept come from approvals.
            **page_context(account_delete_page_shown, Person, person=person),
        },
    )
