"""Entering a unit member (团体会员); forms never save."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kexie.validators import USCC_CHECKSUM_WARNING, validate_mobile, validate_uscc


class UnitMemberForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=100)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=40)
    override_reason = forms.CharField(
        label=_("校验位不符的确认理由"),
        required=False,
        max_length=500,
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
