from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.models import Application
from kexie.forms import IdListField
from orgs.forms import OrgInScopeField
from orgs.models import Org


class _ScopedFilterForm(forms.Form):
    org = OrgInScopeField(label=_("组织"), empty_label=_("本组织"))
    subtree = forms.BooleanField(label=_("含下级组织"), required=False)
    q = forms.CharField(label=_("姓名、手机号或申请编号"), required=False, max_length=50)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].limit_to(orgs)
        self.fields["q"].widget.attrs["type"] = "search"


class QueueFilterForm(_ScopedFilterForm):
    ELIGIBLE_CHOICES = [("", _("全部")), ("yes", _("符合")), ("no", _("不完全符合"))]
    SOURCE_CHOICES = [
        ("", _("全部来源")),
        ("self", _("自荐")),
        ("recommended", _("下级推荐")),
        ("resubmitted", _("退回后重新提交")),
    ]
    ORDER_CHOICES = [("", _("最新提交在前")), ("oldest", _("最早提交在前"))]

    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部状态"))] + list(Application.Status.choices), required=False
    )
    level = forms.ChoiceField(label=_("级别"), choices=[("", _("全部级别"))] + list(Org.Level.choices), required=False)
    date_from = forms.DateField(label=_("提交日期从"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    eligible = forms.ChoiceField(label=_("会员条件"), choices=ELIGIBLE_CHOICES, required=False)
    source = forms.ChoiceField(label=_("来源"), choices=SOURCE_CHOICES, required=False)
    order = forms.ChoiceField(label=_("排序"), choices=ORDER_CHOICES, required=False)
    overdue = forms.BooleanField(label=_("仅看超期"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return data

    def selector_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "org": data.get("org"),
            "include_subtree": bool(data.get("subtree")),
            "status": data.get("status") or "",
            "level": data.get("level") or "",
            "submitted_from": data.get("date_from"),
            "submitted_to": data.get("date_to"),
            "eligible": {"yes": True, "no": False}.get(data.get("eligible") or ""),
            "search": data.get("q") or "",
            "source": data.get("source") or "",
            "oldest_first": data.get("order") == "oldest",
            "overdue": bool(data.get("overdue")),
        }


class DecisionForm(forms.Form):
    APPROVE, RETURN, REJECT = "approve", "return", "reject"
    decision = forms.ChoiceField(
        label=_("审核决定"),
        choices=[(APPROVE, _("批准")), (RETURN, _("退回修改")), (REJECT, _("不予通过"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("退回修改时请写明需要修改的内容；不予通过时请写明理由"),
    )
    override_reason = forms.CharField(
        label=_("不符合条件仍批准的理由"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, meets_criteria: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.meets_criteria = meets_criteria
        if meets_criteria:
            del self.fields["override_reason"]

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        comment = (data.get("comment") or "").strip()
        if decision == self.RETURN and not comment:
            self.add_error("comment", _("退回修改时必须写明需要修改的内容"))
        if decision == self.REJECT and not comment:
            self.add_error("comment", _("不予通过时必须填写理由"))
        if decision == self.APPROVE and not self.meets_criteria and not (data.get("override_reason") or "").strip():
            self.add_error("override_reason", _("申请人不完全符合会员条件，批准时必须填写理由"))
        return data


class BatchApproveForm(forms.Form):
    """The selected rows arrive as repeated `ids` checkboxes from the queue table; each id is parsed and
    bounded (an out-of-range number is a form error, not a database error)."""

    ids = IdListField(
        error_messages={"invalid": _("所选申请无效，请刷新页面后重试"), "required": _("请至少选择一条申请")}
    )
    comment = forms.CharField(label=_("审核意见"), required=False, max_length=2000)


class RecommendForm(forms.Form):
    opinion = forms.CharField(
        label=_("推荐意见"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("请写明推荐理由，例如主要业绩、专业特长及在本组织的表现"),
        error_messages={"required": _("请填写推荐意见")},
    )

    def clean_opinion(self):
        opinion = self.cleaned_data["opinion"].strip()
        if not opinion:
            raise forms.ValidationError(_("请填写推荐意见"))
        return opinion


# --- the applicant's forms ----------------------------------------------------------------------------------


DECLARATION_TEXT = _(
    "本人热爱祖国、热爱人民，拥护中国共产党的领导；恪守科学道德，学风端正；遵纪守法；"
    "承认《中国科学技术协会章程》，自愿申请成为个人会员，愿意参加科协组织的活动。"
    "以上所填信息真实、准确。"
)


class ApplicationForm(forms.Form):
    explanation = forms.CharField(
        label=_("补充说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("如有条件未满足，可说明理由（例如其他成果、从业年限），审核人员会一并看到"),
    )
    declaration = forms.BooleanField(
        label=DECLARATION_TEXT, required=True, error_messages={"required": _("请阅读并勾选入会声明")}
    )


class ResubmitForm(forms.Form):
    explanation = forms.CharField(
        label=_("补充说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("请根据审核意见修改个人资料或补充说明后重新提交"),
    )


class OrgSearchForm(forms.Form):
    q = forms.CharField(label=_("按名称搜索"), required=False, max_length=50)
