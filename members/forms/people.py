"""Applicant forms: registration, profile and awards. Validation only; the views hand cleaned data to
members.services.

Every form lists its fields explicitly, so posted extra keys (status, org, person, user, decided_by...) are
ignored by construction.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kexie.validators import validate_id_number, validate_mobile, validate_upload
from members.models import Award, Person


class RegistrationForm(forms.Form):
    mobile = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("中国大陆手机号码，注册后作为登录用户名"),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 8 位，不能全是数字，不能过于常见"),
    )
    password_confirm = forms.CharField(
        label=_("再次输入密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    email = forms.EmailField(
        label=_("电子邮箱"), required=False, help_text=_("选填；填写后审核结果也会发送到邮箱")
    )

    def clean_mobile(self) -> str:
        return validate_mobile(self.cleaned_data["mobile"])

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_confirm") and data["password"] != data["password_confirm"]:
            self.add_error("password_confirm", _("两次输入的密码不一致"))
        return data


class WriteOnlyTextInput(forms.TextInput):
    """A text box that never renders its value back: used for the ID number."""
    def format_value(self, value):
        return None


class ProfileForm(forms.ModelForm):
    """The profile. The ID number is a separate, write-only field: it is never rendered back."""
    id_number = forms.CharField(
        label=_("身份证号码"),
        required=False,
        max_length=30,
        widget=WriteOnlyTextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    # Longer than the stored 11 digits: people type spaces, dashes and +86, which clean_mobile removes.
    mobile = forms.CharField(
        label=_("手机号码"), max_length=20, widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"})
    )

    class Meta:
        model = Person
        fields = [
            "name", "gender", "birth_date", "mobile", "email", "employer", "discipline",
            "education", "title", "is_rural_expert", "is_popsci_leader",
        ]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "employer": _("填写单位全称"),
            "is_rural_expert": _("农村技术能手、科普带头人申请县级科协会员时，不受学历和职称限制"),
        }

    def __init__(self, *args, id_number_allowed: bool, has_id_number: bool, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("name", "gender", "birth_date", "mobile", "employer", "discipline", "education", "title"):
            self.fields[name].required = True
        self.fields["gender"].choices = [("", _("请选择"))] + list(Person.Gender.choices)
        self.fields["education"].choices = [("", _("请选择"))] + list(Person.Education.choices)
        self.fields["title"].choices = [("", _("请选择"))] + list(Person.Title.choices)
        self.has_id_number = has_id_number
        if not id_number_allowed:
            del self.fields["id_number"]
        else:
            field = self.fields["id_number"]
            field.required = not has_id_number
            field.help_text = (
                _("已保存的身份证号码不再显示；如需更正请重新输入，留空则保持不变")
                if has_id_number
                else _("18 位，最后一位可以是 X；提交出错时需重新输入（为保护您的信息，页面不会回显身份证号码）")
            )

    def clean_mobile(self) -> str:
        return validate_mobile(self.cleaned_data["mobile"])

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value and (value > timezone.localdate() or value.year < 1900):
            raise ValidationError(_("请填写真实的出生日期"))
        return value

    def clean_id_number(self) -> str:
        value = self.cleaned_data.get("id_number", "")
        return validate_id_number(value) if value else ""

    def clean(self):
        data = super().clean()
        id_number = data.get("id_number")
        birth = data.get("birth_date")
        if id_number and birth:
            from kexie.validators import id_number_birth_date

            if id_number_birth_date(id_number) != birth:
                self.add_error("birth_date", _("出生日期与身份证号码中的不一致"))
        return data

    def profile_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AwardForm(forms.ModelForm):
    evidence = forms.FileField(
        label=_("证明材料"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
        help_text=_("选填。PDF、JPG 或 PNG 格式，不超过 5 MB"),
    )
    remove_evidence = forms.BooleanField(label=_("删除已上传的证明材料"), required=False)

    class Meta:
        model = Award
        fields = ["name", "level", "year", "issuer"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", _("请选择"))] + list(self.fields["level"].choices)[1:]
        self.fields["year"].widget.attrs.update({"min": 1949, "inputmode": "numeric"})
        if not (self.instance and self.instance.pk and self.instance.evidence):
            del self.fields["remove_evidence"]

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if year < 1949 or year > timezone.localdate().year:
            raise ValidationError(_("请填写 1949 年至今的年份"))
        return year

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if upload:
            validate_upload(upload)
        return upload or None

    def award_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("name", "level", "year", "issuer")}
