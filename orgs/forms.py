from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from kexie.errors import DomainError
from kexie.forms import MAX_ID, IdField, RefusedInputNotices
from kexie.validators import validate_mobile
from orgs.models import OfficerRole, Org, WebhookEndpoint
from orgs.selectors.progress import ORDERS
from orgs.services.webhooks import webhook_url_check

User = get_user_model()

# A scope of up to this many organisations is offered as a list; a larger one (a national administrator sees
# about 10,000) as a box where a name is typed.
ORG_CHOICES_LISTED = 300
ORG_NAME_MAX_LENGTH = 50


def _org_indented(org: Org) -> str:
    return "　" * (org.depth or 0) + org.name


class OrgInScopeWidget(forms.Widget):
    """A <select> of the field's scope when it is small enough to list, otherwise a search box showing the
    chosen organisation's name. The options are joined in one call instead of one template each."""

    field: "OrgInScopeField"

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        listed = self.field.listed()
        if listed is None:
            shown = self.field.name_of(value)
            return format_html(
                '<input type="search"{} value="{}" maxlength="{}" placeholder="{}" autocomplete="off">',
                flatatt(attrs), shown, ORG_NAME_MAX_LENGTH, _("输入组织名称中的字"),
            )
        value = "" if value is None else str(value)
        options = format_html_join(
            "", '<option value="{}"{}>{}</option>',
            ((org.pk, " selected" if str(org.pk) == value else "", _org_indented(org)) for org in listed),
        )
        empty = self.field.empty_label
        if empty is not None:
            options = format_html('<option value=""{}>{}</option>{}', "" if value else " selected", empty, options)
        return format_html("<select{}>{}</select>", flatatt(attrs), options)


class OrgInScopeField(forms.Field):
    """One organisation of an administrator's scope (`limit_to`), given by its id or, where the scope is too
    large to list, typed by name: an exact name, or the one organisation whose name contains what was typed.
    When several contain it the first of them are kept in `candidates` for the page to offer as links.
    An id outside the scope is "invalid_choice", which the pages answer with 404 like any tampered id."""

    widget = OrgInScopeWidget
    CANDIDATES = 10
    default_error_messages = {
        "invalid_choice": _("所选组织不在您的管理范围内"),
        "not_found": _("您的管理范围内没有名称含“%(name)s”的组织，请检查输入的名称"),
        "ambiguous": _("有 %(count)s 个组织的名称含“%(name)s”，请从下面选择一个，或输入更完整的名称"),
        "too_long": _("组织名称不超过 %(limit)s 个字"),
        "null_characters": _("组织名称中有无法识别的字符，请重新输入"),
    }

    def __init__(self, *, empty_label, required: bool = False, **kwargs):
        super().__init__(required=required, **kwargs)
        self.empty_label = empty_label
        self.limit_to(Org.objects.none())

    def limit_to(self, orgs) -> None:
        self.scope = orgs.order_by("tree_id", "lft")
        self.widget.field = self
        self.chosen: Org | None = None
        self.candidates: list[Org] = []
        self._head: list[Org] | None = None  # the scope's first ORG_CHOICES_LISTED + 1, once read

    def listed(self) -> list[Org] | None:
        """The scope in tree order when it has at most ORG_CHOICES_LISTED organisations; None when larger."""
        if self._head is None:
            self._head = list(self.scope[: ORG_CHOICES_LISTED + 1])
        return self._head if len(self._head) <= ORG_CHOICES_LISTED else None

    def name_of(self, value) -> str:
        """What the search box shows for `value`: the name of the organisation an id stands for (a chosen one,
        or an initial id from a link), otherwise the text as typed."""
        value = "" if value is None else str(value)
        chosen = self.chosen
        if chosen is not None and str(chosen.pk) == value:
            return chosen.name
        if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
            return self.scope.filter(pk=int(value)).values_list("name", flat=True).first() or value
        return value

    def to_python(self, value) -> Org | None:
        value = str(value or "").strip()
        if not value:
            return None
        if value.isascii() and value.isdigit():
            self.chosen = self._by_id(int(value))
        else:
            self.chosen = self._by_name(value)
        return self.chosen

    def _by_id(self, pk: int) -> Org:
        listed = self.listed() if pk <= MAX_ID else []
        if listed is None:
            org = self.scope.filter(pk=pk).first()
        else:
            org = next((o for o in listed if o.pk == pk), None)
        if org is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return org

    def _by_name(self, name: str) -> Org:
        if "\x00" in name:  # PostgreSQL refuses NUL in a string parameter
            raise ValidationError(self.error_messages["null_characters"], code="null_characters")
        if len(name) > ORG_NAME_MAX_LENGTH:
            raise ValidationError(self.error_messages["too_long"], code="too_long",
                                  params={"limit": ORG_NAME_MAX_LENGTH})
        exact = list(self.scope.filter(name=name)[:2])
        if len(exact) == 1:
            return exact[0]
        found = list(self.scope.filter(name__contains=name)[: self.CANDIDATES + 1])
        if len(found) == 1:
            return found[0]
        if not found:
            raise ValidationError(self.error_messages["not_found"], code="not_found", params={"name": name})
        count = len(found) if len(found) <= self.CANDIDATES else self.scope.filter(name__contains=name).count()
        self.candidates = found[: self.CANDIDATES]
        raise ValidationError(self.error_messages["ambiguous"], code="ambiguous", params={"name": name, "count": count})


class _AccountForm(RefusedInputNotices, forms.Form):
    username = forms.RegexField(
        label=_("登录用户名"),
        regex=r"^[A-Za-z0-9_.@-]{3,30}$",
        max_length=30,
        error_messages={"invalid": _("用户名为 3–30 位字母、数字或 _ . @ -")},
    )
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    # Longer than the stored 11 digits: people type spaces, dashes and +86, which clean_mobile removes.
    mobile = forms.CharField(label=_("手机号码"), required=False, max_length=20)
    # Never rendered back: a refused form asks for the initial password again.
    password = forms.CharField(
        label=_("初始密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 8 位，包含字母、数字、符号中的两类，不能是常见密码"),
    )

    def clean_mobile(self) -> str | None:
        raw = self.cleaned_data.get("mobile", "").strip()
        return validate_mobile(raw) if raw else None


class AdminAccountForm(_AccountForm):
    org = OrgInScopeField(label=_("管理的组织"), empty_label=_("请选择组织"), required=True)
    email = forms.EmailField(label=_("电子邮箱"), required=False, max_length=254)

    field_order = ["org", "username", "full_name", "mobile", "email", "password"]

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].limit_to(orgs if orgs is not None else Org.objects.none())


class OfficerAccountForm(AdminAccountForm):
    role = forms.ChoiceField(label=_("角色"), choices=OfficerRole.choices)

    field_order = ["role", "org", "username", "full_name", "mobile", "email", "password"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].label = _("负责的组织（含下级）")


class StaffAccountForm(_AccountForm):
    department = forms.ChoiceField(label=_("所属部门"), choices=User.Department.choices)

    field_order = ["department", "username", "full_name", "mobile", "password"]


class OrgFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=50)

    def clean_q(self) -> str:
        value = self.cleaned_data["q"].strip()
        if "\x00" in value:
            raise ValidationError(_("搜索内容无效"))
        return value


class ProgressFilterForm(forms.Form):
    """Dashboard filters; an invalid value falls back to the default and is reported, never a 500."""

    KIND_CHOICES = [("", _("全部类型")), *Org.Kind.choices]

    year = forms.IntegerField(
        label=_("年度"), min_value=2000, max_value=2100, required=False,
        error_messages={"invalid": _("年度应为四位数字"), "min_value": _("年度应在 2000 至 2100 之间"),
                        "max_value": _("年度应在 2000 至 2100 之间")},
    )
    kind = forms.ChoiceField(
        label=_("下级类型"), choices=KIND_CHOICES, required=False,
        error_messages={"invalid_choice": _("请选择有效的组织类型")},
    )
    org = IdField(required=False, widget=forms.HiddenInput)
    order = forms.ChoiceField(
        label=_("排序"), required=False, choices=lambda: list(ORDERS.items()),
        error_messages={"invalid_choice": _("请选择有效的排序方式")},
    )


class TargetForm(forms.Form):
    """One optional number per metric that applies to the org; blank leaves the metric without a target."""

    def __init__(self, *args, org: Org, initial_values: dict[str, int], **kwargs):
        from orgs.models import Target

        super().__init__(*args, **kwargs)
        for metric in Target.metrics_for(org):
            maximum = 1000 if metric == Target.Metric.MEMBER_GROWTH_PCT else 1_000_000
            self.fields[metric] = forms.IntegerField(
                label=Target.Metric(metric).label,
                required=False,
                min_value=0,
                max_value=maximum,
                initial=initial_values.get(metric),
                error_messages={
                    "invalid": _("请输入整数"),
                    "min_value": _("目标值不能为负数"),
                    "max_value": _("目标值不能超过 %(limit_value)s"),
                },
            )


class AuditFilterForm(forms.Form):
    """The audit console's filters; every one optional. A tampered organisation is refused (the view answers 404)."""

    date_from = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    actor = forms.CharField(label=_("操作人用户名"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("操作"), required=False)
    org = OrgInScopeField(label=_("组织（含下级）"), empty_label=_("全部组织"))
    object_type = forms.ChoiceField(label=_("对象类型"), required=False)
    object_id = forms.CharField(label=_("对象编号"), required=False, max_length=64)

    def __init__(self, *args, orgs, actions: dict[str, str], object_types: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].limit_to(orgs)
        self.fields["action"].choices = [("", _("全部操作"))] + sorted(actions.items(), key=lambda kv: str(kv[1]))
        self.fields["object_type"].choices = [("", _("全部类型"))] + sorted(object_types.items())

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("截止日期不能早于起始日期"))
        return data


class TwoFactorTokenForm(forms.Form):
    token = forms.CharField(
        label=_("验证码"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("身份验证器上当前显示的 6 位数字；手机不在身边时可输入一个恢复码"),
    )


class TwoFactorVerifyForm(TwoFactorTokenForm):
    remember = forms.BooleanField(required=False)

    def __init__(self, *args, remember_hours: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remember"].label = _("在此浏览器上 %(hours)s 小时内不再询问（公用电脑请勿勾选）") % {
            "hours": remember_hours
        }


class TwoFactorSetupForm(TwoFactorTokenForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].help_text = _("扫描二维码后，输入身份验证器显示的 6 位数字")


class WebhookEndpointForm(forms.Form):
    org = OrgInScopeField(
        label=_("组织"), empty_label=None, required=True, help_text=_("该组织及其全部下级组织的事件都会推送到此地址")
    )
    url = forms.CharField(
        label=_("接收地址"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
        help_text=_("必须是 HTTPS 地址；系统不会跟随重定向"),
    )
    events = forms.MultipleChoiceField(
        label=_("推送的事件"),
        choices=WebhookEndpoint.Event.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
        error_messages={"required": _("请至少选择一个事件")},
    )
    description = forms.CharField(label=_("说明"), max_length=100, required=False, help_text=_("例如“市会员管理系统”"))

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Listed without an empty choice: the administrator's own organisation (first in tree order) is the usual one.
        self.fields["org"].limit_to(orgs if orgs is not None else Org.objects.none())

    def clean_url(self) -> str:
        try:
            return webhook_url_check(self.cleaned_data["url"])
        except DomainError as exc:
            raise ValidationError(exc.message) from None


class HandlingDaysForm(forms.Form):
    days = forms.IntegerField(
        label=_("办理时限（工作日）"), min_value=1, max_value=120, required=False,
        help_text=_("留空则沿用上级组织的办理时限；对本组织及未单独设置的下级组织生效"),
    )
