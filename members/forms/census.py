"""Uploading a census list and claiming one's record from an invitation; forms never save."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kexie.excel import SpreadsheetRefused, xlsx_archive_check
from kexie.forms import RefusedInputNotices, WriteOnlyTextInput
from kexie.validators import validate_mobile
from members.models import CensusImport, Person

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
        if name.endswith(".xlsx"):
            # Only the zip directory is read (no inflating): a bomb or a non-zip is refused before it is stored;
            # rows, columns and cells are checked while the background job streams the sheet.
            try:
                xlsx_archive_check(file)
            except SpreadsheetRefused as exc:
                raise ValidationError(exc.message) from None
        return file


class CensusPeopleFilterForm(forms.Form):
    """Filters of the census follow-up list: which import, which re-registration state, who."""

    STATE_CHOICES = [
        ("", _("全部状态")),
        ("pending", _("待重新登记")),
        ("reregistered", _("已重新登记")),
        ("ended", _("未登记，会员资格已终止")),
    ]
    census = forms.ModelChoiceField(
        label=_("名单"), queryset=CensusImport.objects.none(), required=False, empty_label=_("全部名单")
    )
    state = forms.ChoiceField(label=_("重新登记状态"), choices=STATE_CHOICES, required=False)
    q = forms.CharField(label=_("姓名、手机号码或会员编号"), required=False, max_length=50)
    subtree = forms.BooleanField(label=_("含下级组织"), required=False)

    def __init__(self, *args, imports, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["census"].queryset = imports
        self.fields["census"].label_from_instance = (
            lambda c: f"{c.original_name}（{c.org.name}，{timezone.localdate(c.committed_at):%Y-%m-%d}）"
        )
        self.fields["census"].error_messages["invalid_choice"] = _("所选名单不在本组织的导入记录中")
        self.fields["state"].error_messages["invalid_choice"] = _("请选择有效的重新登记状态")
        self.fields["q"].widget.attrs["type"] = "search"

    def selector_kwargs(self) -> dict:
        data = self.cleaned_data
        census = data.get("census")
        return {
            # A chosen import of a lower organisation is shown even when "含下级组织" is not ticked.
            "include_subtree": bool(data.get("subtree")) or census is not None,
            "census": census,
            "state": data.get("state") or "",
            "search": data.get("q") or "",
        }


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
