"""What a reviewer saw when returning an application, and what the applicant changed before resubmitting.

Returning an application stores a snapshot of the application as reviewed (profile, awards, explanation,
eligibility) in the audit row of the return; resubmitting compares it with the application as resubmitted and
stores the differences in the audit row of the resubmission, which the review page shows. The snapshot holds
display values (labels, the masked ID number only) so it reads the same after choices or labels change.
"""

from django.utils.translation import gettext as _

from approvals.models import Application
from members.models import Person

PROFILE_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "id_number_masked",
    "mobile",
    "email",
    "employer",
    "discipline",
    "education",
    "title",
    "is_rural_expert",
    "is_popsci_leader",
)


def _display(person: Person, name: str) -> str:
    field = Person._meta.get_field(name)
    value = getattr(person, name)
    if field.choices:
        return str(getattr(person, f"get_{name}_display")())
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _award_text(award) -> str:
    parts = [award.get_level_display(), str(award.year)]
    if award.issuer:
        parts.append(award.issuer)
    return f"{award.name}（{'，'.join(parts)}）"


def application_snapshot(application: Application) -> dict:
    person = application.person
    return {
        "profile": {
            name: {"label": str(Person._meta.get_field(name).verbose_name), "value": _display(person, name)}
            for name in PROFILE_FIELDS
        },
        "awards": {
            str(award.pk): {"text": _award_text(award), "evidence": award.evidence.name or ""}
            for award in person.awards.order_by("pk")
        },
        "explanation": application.explanation,
        "meets_criteria": application.meets_criteria,
    }


def snapshot_changes(before: dict, after: dict) -> list[dict]:
    """The differences as rows {"label", "before", "after"} in the order a reviewer reads the application."""
    changes = []
    for name, item in after["profile"].items():
        old = before["profile"].get(name, {}).get("value", "")
        if old != item["value"]:
            changes.append({"label": item["label"], "before": old, "after": item["value"]})
    old_awards, new_awards = before["awards"], after["awards"]
    for pk, award in new_awards.items():
        previous = old_awards.get(pk)
        if previous is None:
            changes.append({"label": _("新增奖励与荣誉"), "before": "", "after": award["text"]})
        elif previous["text"] != award["text"]:
            changes.append({"label": _("修改奖励与荣誉"), "before": previous["text"], "after": award["text"]})
        elif previous["evidence"] != award["evidence"]:
            changes.append(
                {
                    "label": _("证明材料"),
                    "before": previous["text"],
                    "after": _("已上传新的证明材料") if award["evidence"] else _("已删除证明材料"),
                }
            )
    for pk, award in old_awards.items():
        if pk not in new_awards:
            changes.append({"label": _("删除奖励与荣誉"), "before": award["text"], "after": ""})
    if before["explanation"] != after["explanation"]:
        changes.append({"label": _("申请人说明"), "before": before["explanation"], "after": after["explanation"]})
    if before["meets_criteria"] != after["meets_criteria"]:
        met = {True: _("符合"), False: _("不完全符合")}
        changes.append(
            {"label": _("会员条件"), "before": met[before["meets_criteria"]], "after": met[after["meets_criteria"]]}
        )
    return changes
