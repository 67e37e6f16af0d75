"""Uploading a census list and claiming one's record from an invitation; forms never save."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kexie.forms import RefusedInputNotices, WriteOnlyTextInput
from kexie.validators import validate_mobile
from members.models import Person

CENSUS_MAX_BYTES = 20 * 1024 * 1024


class CensusUploadForm(RefusedInputNotices, forms.Form):
    file = forms.FileField(label=_("会员名单（.xlsx 或 .csv）"), help_text=_("列：姓名、身份证号、手机号码、工作单位、学历、职称、会员等级，可选：邮箱"))

    def clean_file(self):
        file = self.cleaned_data["file"]
        name = (file.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise ValidationError(_("仅支持 .xlsx 或 .csv 格式的文件"))
        if file.size > CENSUS_MAX_BYTES:
            raise ValidationError(_("文件大小不能超过 20 MB"))
        return file


class ClaimForm(RefusedInputNotices, forms.Form):
    """Re-registration: identity proof by ID number, then the person's own data and a password. Neither the
    ID number nor the passwords are ever rendered back into the page."""

    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=30,
        help_text=_("用于核对身份，须与名单一致"),
        widget=WriteOnlyTextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(label=_("姓名"), max_length=50)
    mobile = forms.CharField(label=_("手机号码（登录账号）"), max_length=20)
    email = forms.EmailField(label=_("电子邮箱"), required=False, max_length=254)
    employer = forms.CharField(label=_("工作单位"), max_length=100)
    education = forms.ChoiceField(label=_("最高学历"), choices=Person.Education.choices)
    title = forms.ChoiceField(label=_("专业技术职称"), choices=Person.Title.choices)
    password1 = forms.CharField(
        label=_("设置密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 8 位，包含字母、数字、符号中的两类，不能是手机号码或常见密码"),
    )
    password2 = forms.CharField(
        label=_("确认密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_mobile(self):
        return validate_mobile(self.cleaned_data["mobile"])

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致"))
        return data
