"""Applicant forms: registration, profile and awards. Validation only; the views hand cleaned data to
members.services.

Every form lists its fields explicitly, so posted extra keys (status, org, person, user, decided_by...) are
ignored by construction.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kexie.validators import validate_id_number, validate_mobile, validate_upload
from members.models import Award, Person


class SmsCodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("短信验证码"))
        super().__init__(
            max_length=6,
            min_length=6,
            widget=forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*", "maxlength": 6}
            ),
            error_messages={"min_length": _("验证码为 6 位数字"), "max_length": _("验证码为 6 位数字")},
            **kwargs,
        )

    def clean(self, value):
        value = super().clean((value or "").strip())
        if value and not value.isdigit():
            raise ValidationError(_("验证码为 6 位数字"))
        return value


class CodeRequestMixin:
    """A form with a 获取验证码 button beside its submit button (both post the whole form).

    When the person asks for a code only the number it goes to is checked: what else they typed is kept and
    shown again, without errors for the fields they have not reached yet.
    """

    code_target = "mobile"

    def __init__(self, *args, sending_code: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.sending_code = sending_code

    def full_clean(self):
        super().full_clean()
        if self.sending_code and self.is_bound:
            # Only the target's errors matter for sending; the rest of the form is not submitted yet.
            self._errors = ErrorDict(
                {name: errors for name, errors in self._errors.items() if name == self.code_target}
            )


def mobile_field(**kwargs) -> forms.CharField:
    # Longer than the stored 11 digits: people type spaces, dashes and +86, which validate_mobile removes.
    return forms.CharField(
        max_length=20, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}), **kwargs
    )


def new_password_fields(first_label, second_label) -> tuple[forms.CharField, forms.CharField]:
    """A new password and its repetition; `passwords_match` checks them."""
    widget = {"autocomplete": "new-password"}
    return (
        forms.CharField(
            label=first_label,
            strip=False,
            widget=forms.PasswordInput(attrs=widget),
            help_text=_("至少 8 位，不能全是数字，不能过于常见"),
        ),
        forms.CharField(label=second_label, strip=False, widget=forms.PasswordInput(attrs=widget)),
    )


def passwords_match(form: forms.Form, first: str, second: str) -> None:
    data = form.cleaned_data
    if data.get(first) and data.get(second) and data[first] != data[second]:
        form.add_error(second, _("两次输入的密码不一致"))


class RegistrationForm(CodeRequestMixin, forms.Form):
    mobile = mobile_field(label=_("手机号码"), help_text=_("中国大陆手机号码，注册后作为登录用户名"))
    code = SmsCodeField(help_text=_("点“获取验证码”后发送到上面的手机号码，5 分钟内有效"))
    password, password_confirm = new_password_fields(_("密码"), _("再次输入密码"))
    email = forms.EmailField(
        label=_("电子邮箱"), required=False, help_text=_("选填；填写后审核结果也会发送到邮箱")
    )

    def clean_mobile(self) -> str:
        return validate_mobile(self.cleaned_data["mobile"])

    def clean(self):
        data = super().clean()
        passwords_match(self, "password", "password_confirm")
        return data


class MobileChangeForm(CodeRequestMixin, forms.Form):
    code_target = "new_mobile"

    new_mobile = mobile_field(label=_("新手机号码"), help_text=_("更换后用新号码登录"))
    code = SmsCodeField(help_text=_("发送到新手机号码，5 分钟内有效"))
    password = forms.CharField(
        label=_("当前密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def clean_new_mobile(self) -> str:
        return validate_mobile(self.cleaned_data["new_mobile"])


class PasswordResetForm(CodeRequestMixin, forms.Form):
    code_target = "account"

    account = forms.CharField(
        label=_("手机号码或电子邮箱"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
        help_text=_("注册时使用的手机号码；已验证的电子邮箱也可以"),
    )
    code = SmsCodeField(label=_("验证码"), help_text=_("发送到上面的手机号码或邮箱，5 分钟内有效"))
    new_password1, new_password2 = new_password_fields(_("新密码"), _("再次输入新密码"))

    def clean_account(self) -> str:
        value = self.cleaned_data["account"].strip()
        if "@" in value:
            return forms.EmailField().clean(value).lower()
        return validate_mobile(value)

    def clean(self):
        data = super().clean()
        passwords_match(self, "new_password1", "new_password2")
        return data


class EmailVerifyForm(forms.Form):
    code = SmsCodeField(label=_("邮件验证码"))


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

    def __init__(self, *args, id_number_allowed: bool, has_id_number: bool, account_mobile: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if account_mobile:
            # The account's number was proven with a code; it changes only through 更换手机号码 (a new code).
            self.fields["mobile"].disabled = True
            self.initial["mobile"] = account_mobile
            self.fields["mobile"].help_text = _("已验证的登录手机号码；如需更换请使用“更换手机号码”")
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
