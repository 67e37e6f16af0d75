"""Uploading a census list and claiming one's record from an invitation; forms never save."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kexie.validators import validate_mobile
from members.models import Person


CENSUS_MAX_BYTES = 20 * 1024 * 1024


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
