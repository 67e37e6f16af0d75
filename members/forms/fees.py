"""Setting an organisation's annual fee; forms never save."""

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Membership


class FeeForm(forms.Form):
    category = forms.ChoiceField(label=_("会员类别"), choices=Membership.Category.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    amount = forms.DecimalField(
        label=_("金额（元）"), min_value=0, max_digits=8, decimal_places=2, help_text=_("填 0 表示暂时不收取会费")
    )
