"""Input validation of the lifecycle pages; forms never save."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import FeePayment, Membership, Person
from members.validators import USCC_CHECKSUM_WARNING, validate_mobile, validate_uscc
from orgs.models import Org

CENSUS_MAX_BYTES = 20 * 1024 * 1024


class MemberDirectoryForm(forms.Form):
    org = forms.ModelChoiceField(label=_("组织"), queryset=Org.objects.none(), required=False, empty_label=_("本组织"))
    subtree = forms.BooleanField(label=_("含下级组织"), required=False)
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部状态"))] + list(Membership.Status.choices), required=False
    )
    q = forms.CharField(label=_("姓名、手机号码或会员编号"), required=False, max_length=50)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs.order_by("tree_id", "lft")
        self.fields["org"].label_from_instance = lambda org: "　" * (org.depth or 0) + org.name
        self.fields["org"].error_messages["invalid_choice"] = _("所选组织不在您的管理范围内")
        self.fields["status"].error_messages["invalid_choice"] = _("请选择有效的会员状态")
        self.fields["q"].widget.attrs["type"] = "search"

    def selector_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "org": data.get("org"),
            "include_subtree": bool(data.get("subtree")),
            "status": data.get("status") or "",
            "search": data.get("q") or "",
        }


class GradeForm(forms.Form):
    grade = forms.ChoiceField(label=_("会员等级"), choices=Membership.Grade.choices)
    category = forms.ChoiceField(label=_("会员类别"), choices=Membership.Category.choices)


class UnitMemberForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=100)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=40)
    override_reason = forms.CharField(
        label=_("校验位不符的确认理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("仅当代码校验位不正确、但与营业执照一致时填写"),
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_mobile = forms.CharField(label=_("联系电话"), max_length=20, required=False)

    def clean_uscc(self):
        result = validate_uscc(self.cleaned_data["uscc"])  # a malformed code is a hard error here
        self.checksum_ok = result.checksum_ok
        return result.code

    def clean_contact_mobile(self):
        value = self.cleaned_data["contact_mobile"]
        return validate_mobile(value) if value else ""

    def clean(self):
        data = super().clean()
        if "uscc" in data and not self.checksum_ok and not data.get("override_reason", "").strip():
            self.add_error("override_reason", USCC_CHECKSUM_WARNING)
        return data


class UnitLinkForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("所在团体会员单位"), queryset=None, required=False, empty_label=_("（不关联）"))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class FeeForm(forms.Form):
    category = forms.ChoiceField(label=_("会员类别"), choices=Membership.Category.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    amount = forms.DecimalField(
        label=_("金额（元）"), min_value=0, max_digits=8, decimal_places=2, help_text=_("填 0 表示暂时不收取会费")
    )


class FeePaymentForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=_("方式"), choices=FeePayment.Kind.choices)
    paid_on = forms.DateField(label=_("缴费日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("备注（免缴时填写原因）"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class TransferForm(forms.Form):
    target_org = forms.ModelChoiceField(label=_("转入组织"), queryset=None)
    comment = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_org"].queryset = orgs
        self.fields["target_org"].error_messages["invalid_choice"] = _("请选择您管理范围内的转入组织")


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("新状态"),
        choices=[
            (Membership.Status.LAPSED, _("失效")),
            (Membership.Status.WITHDRAWN, _("退会")),
            (Membership.Status.ACTIVE, _("恢复有效")),
        ],
    )
    comment = forms.CharField(label=_("原因"), max_length=200, required=False)


class CensusUploadForm(forms.Form):
    file = forms.FileField(label=_("会员名单（.xlsx 或 .csv）"), help_text=_("列：姓名、身份证号、手机号码、工作单位、学历、职称、会员等级，可选：邮箱"))

    def clean_file(self):
        file = self.cleaned_data["file"]
        name = (file.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise ValidationError(_("仅支持 .xlsx 或 .csv 格式的文件"))
        if file.size > CENSUS_MAX_BYTES:
            raise ValidationError(_("文件大小不能超过 20 MB"))
        return file


class ClaimForm(forms.Form):
    """Re-registration: identity proof by ID number, then the person's own data and a password."""

    id_number = forms.CharField(label=_("身份证号"), max_length=30, help_text=_("用于核对身份，须与名单一致"))
    name = forms.CharField(label=_("姓名"), max_length=50)
    mobile = forms.CharField(label=_("手机号码（登录账号）"), max_length=20)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    employer = forms.CharField(label=_("工作单位"), max_length=100)
    education = forms.ChoiceField(label=_("最高学历"), choices=Person.Education.choices)
    title = forms.ChoiceField(label=_("专业技术职称"), choices=Person.Title.choices)
    password1 = forms.CharField(label=_("设置密码"), widget=forms.PasswordInput(render_value=True), min_length=8)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput(render_value=True))

    def clean_mobile(self):
        return validate_mobile(self.cleaned_data["mobile"])

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致"))
        return data
