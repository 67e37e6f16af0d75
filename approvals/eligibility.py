"""Membership conditions by level (冀科协〔2017〕90号 三、会员条件).

Not meeting a criterion never blocks a submission: the applicant may explain and the reviewer decides,
recording a reason when approving anyway.
"""

from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _

from members.models import AWARD_LEVEL_RANK, AwardLevel, Person
from orgs.models import Org

# Higher is more: the choices are declared highest first, so the rank runs backwards through them.
EDUCATION_RANK = {value: len(Person.Education.values) - i for i, value in enumerate(Person.Education.values)}
TITLE_RANK = {
    Person.Title.NONE: 0,
    Person.Title.JUNIOR: 1,
    Person.Title.INTERMEDIATE: 2,
    Person.Title.ASSOCIATE_SENIOR: 3,
    Person.Title.SENIOR: 4,
}

# level: (minimum education, minimum title, minimum award level, rural experts and popular-science leaders exempt)
RULES = {
    # "中专以上学历": 中等专科 (中专/中技) or above; 高中 and 初中及以下 do not meet it.
    Org.Level.COUNTY: (Person.Education.SECONDARY_VOCATIONAL, Person.Title.JUNIOR, AwardLevel.COUNTY, True),
    Org.Level.CITY: (Person.Education.JUNIOR_COLLEGE, Person.Title.INTERMEDIATE, AwardLevel.CITY, False),
    Org.Level.PROVINCE: (Person.Education.BACHELOR, Person.Title.INTERMEDIATE, AwardLevel.PROVINCIAL, False),
    # The sources set no conditions of their own for a national organisation: the provincial ones, the
    # strictest they name, apply.
    Org.Level.NATIONAL: (Person.Education.BACHELOR, Person.Title.INTERMEDIATE, AwardLevel.PROVINCIAL, False),
}


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    requirement: str
    actual: str
    met: bool
    exempt: bool = False


def eligibility_check(person: Person, level: str, awards=None) -> list[Criterion]:
    min_edu, min_title, min_award, exemption = RULES[level]
    awards = list(person.awards.all()) if awards is None else awards
    edu_ok = EDUCATION_RANK.get(person.education, 0) >= EDUCATION_RANK[min_edu]
    title_ok = TITLE_RANK.get(person.title, 0) >= TITLE_RANK[min_title]
    exempt = exemption and (person.is_rural_expert or person.is_popsci_leader)
    edu_label = Person.Education(person.education).label if person.education else _("未填写")
    title_label = Person.Title(person.title).label if person.title else _("未填写")
    best_award = max(awards, key=lambda a: AWARD_LEVEL_RANK.get(a.level, 0), default=None)
    award_ok = best_award is not None and AWARD_LEVEL_RANK.get(best_award.level, 0) >= AWARD_LEVEL_RANK[min_award]
    return [
        Criterion(
            key="education_or_title",
            label=_("学历或职称"),
            requirement=_("%(edu)s及以上学历，或%(title)s及以上职称")
            % {"edu": Person.Education(min_edu).label, "title": Person.Title(min_title).label},
            actual=_("学历：%(edu)s；职称：%(title)s") % {"edu": edu_label, "title": title_label},
            met=edu_ok or title_ok or exempt,
            exempt=exempt and not (edu_ok or title_ok),
        ),
        Criterion(
            key="award",
            label=_("奖励或荣誉"),
            requirement=_("获得%(level)s及以上科技奖励或荣誉") % {"level": AwardLevel(min_award).label},
            actual=(
                _("最高：%(name)s（%(level)s）") % {"name": best_award.name, "level": AwardLevel(best_award.level).label}
                if best_award
                else _("未填写奖励或荣誉")
            ),
            met=award_ok,
        ),
    ]


def criteria_as_json(criteria: list[Criterion]) -> list[dict]:
    return [asdict(c) for c in criteria]


def all_met(criteria: list[Criterion]) -> bool:
    return all(c.met for c in criteria)
