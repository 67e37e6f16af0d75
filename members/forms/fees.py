"""Setting an organisation's annual fee; forms never save."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kexie.validators import validate_upload
from members.models import DuesPayment, FeePayment, Membership


class FeeForm(forms.Form):
    category = forms.ChoiceField(label=_("会员类别"), choices=Membership.Category.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    amount = forms.DecimalField(
        label=_("金额（元）"), min_value=0, max_digits=8, decimal_places=2, help_text=_("填 0 表示暂时不收取会费")
    )


class DuesPaymentForm(forms.Form):
    method = forms.ChoiceField(label=_("缴费方式"), choices=DuesPayment.Method.choices, widget=forms.RadioSelect)
    proof = forms.FileField(
        label=_("转账凭证"),
        required=False,
        help_text=_("银行转账请上传转账凭证截图或回单（JPG、PNG 或 PDF，不超过 5 MB）；现场缴纳无需上传"),
    )

    def clean(self):
        data = super().clean()
        if data.get("method") == DuesPayment.Method.BANK_TRANSFER and not data.get("proof"):
            self.add_error("proof", _("银行转账请上传转账凭证"))
        if data.get("proof"):
            try:
                validate_upload(data["proof"])
            except ValidationError as exc:
                self.add_error("proof", exc)
        return data


class DuesRejectForm(forms.Form):
    reason = forms.CharField(label=_("未通过原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class RenewalWindowForm(forms.Form):
    opens_month = forms.IntegerField(label=_("开始月份"), min_value=1, max_value=12)
    opens_day = forms.IntegerField(label=_("开始日"), min_value=1, max_value=31)
    closes_month = forms.IntegerField(label=_("截止月份"), min_value=1, max_value=12)
    closes_day = forms.IntegerField(label=_("截止日"), min_value=1, max_value=31)


class FeeInstructionsForm(forms.Form):
    text = forms.CharField(
        label=_("缴费方式"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("会员在“我的会费”页面看到这段说明，例如收款单位、开户行与账号、办公地点与时间、联系电话；留空则显示通用说明"),
    )


class FeeRosterFilterForm(forms.Form):
    STATE_CHOICES = [
        ("", _("全部会员")),
        ("due", _("待缴纳")),
        ("paid", _("已缴纳")),
        ("exempt", _("免缴")),
        ("free", _("无需缴纳")),
    ]
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, required=False)
    state = forms.ChoiceField(label=_("缴费状态"), choices=STATE_CHOICES, required=False)
    q = forms.CharField(label=_("姓名、手机号码或会员编号"), required=False, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].error_messages["invalid_choice"] = _("请选择有效的缴费状态")
        self.fields["q"].widget.attrs["type"] = "search"


class FeeRecordForm(forms.Form):
    """Recording one member's payment or exemption from the roster."""

    membership = forms.IntegerField(widget=forms.HiddenInput)
    year = forms.IntegerField(widget=forms.HiddenInput, min_value=2000, max_value=2100)
    kind = forms.ChoiceField(choices=FeePayment.Kind.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("免缴原因"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") == FeePayment.Kind.EXEMPT and not (data.get("note") or "").strip():
            self.add_error("note", _("登记免缴时请填写免缴原因"))
        return data
