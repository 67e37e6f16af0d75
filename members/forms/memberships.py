"""Forms of the member directory and of a member's page; forms never save."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import FeePayment, Membership
from orgs.forms import OrgInScopeField


class MemberDirectoryForm(forms.Form):
    org = OrgInScopeField(label=_("组织"), empty_label=_("本组织"))
    subtree = forms.BooleanField(label=_("含下级组织"), required=False)
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部状态"))] + list(Membership.Status.choices), required=False
    )
    q = forms.CharField(label=_("姓名、手机号码或会员编号"), required=False, max_length=50)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].limit_to(orgs)
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


class UnitLinkForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("所在团体会员单位"), queryset=None, required=False, empty_label=_("（不关联）"))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].error_messages["invalid_choice"] = _("请选择您管理范围内的团体会员单位")


class FeePaymentForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=_("方式"), choices=FeePayment.Kind.choices)
    paid_on = forms.DateField(label=_("缴费日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("备注（免缴时填写原因）"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class TransferForm(forms.Form):
    target_org = OrgInScopeField(
        label=_("转入组织"), empty_label=_("请选择转入组织"), required=True,
        error_messages={"invalid_choice": _("请选择您管理范围内的转入组织")},
    )
    comment = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_org"].limit_to(orgs)


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
