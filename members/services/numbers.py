"""Member numbers: 级别字母 + 年份 - 组织简码 - 五位序号, gapless per organisation and year."""

from members.models import MemberNumberCounter
from orgs.models import Org


LEVEL_LETTER = {Org.Level.NATIONAL: "N", Org.Level.PROVINCE: "P", Org.Level.CITY: "C", Org.Level.COUNTY: "X"}


def member_number_format(*, org: Org, year: int, sequence: int) -> str:
    """级别字母 + 年份 - 组织简码 - 五位序号, e.g. C2026-HB002-00017."""
    return f"{LEVEL_LETTER[org.level]}{year}-{org.code}-{sequence:05d}"


def member_number_issue(*, org: Org, year: int) -> str:
    """Next number for org and year. Must run inside the caller's transaction: the counter row stays
    locked until commit, so concurrent approvals queue here and numbers come out gapless."""
    MemberNumberCounter.objects.bulk_create(
        [MemberNumberCounter(org=org, year=year, last_value=0)], ignore_conflicts=True
    )
    counter = MemberNumberCounter.objects.select_for_update().get(org=org, year=year)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return member_number_format(org=org, year=year, sequence=counter.last_value)


def member_numbers_reserve(*, org: Org, year: int, count: int) -> list[str]:
    """`count` consecutive member numbers for a bulk import: the counter row is locked once and the whole
    range reserved, instead of one locked increment per person. Runs in the caller's transaction."""
    if count <= 0:
        return []
    MemberNumberCounter.objects.bulk_create(
        [MemberNumberCounter(org=org, year=year, last_value=0)], ignore_conflicts=True
    )
    counter = MemberNumberCounter.objects.select_for_update().get(org=org, year=year)
    first = counter.last_value + 1
    counter.last_value += count
    counter.save(update_fields=["last_value"])
    return [member_number_format(org=org, year=year, sequence=n) for n in range(first, first + count)]
