"""Yearly targets set by the level above, and the default targets of the provincial documents."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kexie.errors import DomainError, OutOfScope
from orgs.models import Org, Target
from orgs.selectors.progress import targets_settable_by
from orgs.services.audit import audit_record
from orgs.services.progress import progress_schedule


TARGET_MAX = {Target.Metric.MEMBER_GROWTH_PCT: 1000}

TARGET_MAX_DEFAULT = 1_000_000

YEAR_RANGE = range(2000, 2101)


def target_set(*, actor, org: Org, year: int, metric: str, value: int) -> Target:
    """Set one target of an org strictly below the actor's administered orgs (the level above decides), or of
    the root the actor administers (the province sets its own)."""
    if not targets_settable_by(actor).filter(pk=org.pk).exists():
        raise OutOfScope()
    if metric not in Target.metrics_for(org):
        raise DomainError(_("“%(org)s”不适用该指标") % {"org": org.name})
    if year not in YEAR_RANGE:
        raise DomainError(_("年度应在 2000 至 2100 之间"))
    limit = TARGET_MAX.get(metric, TARGET_MAX_DEFAULT)
    if not isinstance(value, int) or not 0 <= value <= limit:
        raise DomainError(_("目标值应为 0 至 %(max)s 之间的整数") % {"max": limit})
    with transaction.atomic():
        target = Target.objects.select_for_update().filter(org=org, year=year, metric=metric).first()
        old = target.value if target else None
        if target is None:
            try:
                with transaction.atomic():
                    target = Target.objects.create(org=org, year=year, metric=metric, value=value, updated_by=actor)
            except IntegrityError:
                # Someone created it concurrently: lock theirs and update it like any existing target.
                target = Target.objects.select_for_update().get(org=org, year=year, metric=metric)
                old = target.value
        if old is not None:
            if old == value:
                return target
            target.value = value
            target.updated_by = actor
            target.save(update_fields=["value", "updated_by", "updated_at"])
        audit_record(
            actor=actor,
            action="target.set",
            obj=target,
            org=org,
            data={"year": year, "metric": metric, "old": old, "new": value},
        )
        transaction.on_commit(lambda: progress_schedule(org_ids=[org.pk]))
    return target


def seed_target_rules(org: Org) -> dict[str, int]:
    """Default yearly targets of 冀科协〔2017〕90号 and the 2017 society reform points, by org kind and level."""
    M = Target.Metric
    # The province's totals belong to the provincial 科协, whether it is the root or one of several provinces
    # under a national root.
    if org.kind == Org.Kind.KEXIE and org.level == Org.Level.PROVINCE:
        return {M.NEW_MEMBERS_PROVINCE_LEVEL: 3340, M.NEW_MEMBERS_CITY_LEVEL: 6670, M.NEW_MEMBERS_COUNTY_LEVEL: 10000}
    if org.kind == Org.Kind.KEXIE and org.level == Org.Level.CITY:
        return {M.NEW_MEMBERS: 610, M.RECOMMENDATIONS: 50}
    if org.kind == Org.Kind.KEXIE and org.level == Org.Level.COUNTY:
        return {M.NEW_MEMBERS: 80}
    if org.kind == Org.Kind.SOCIETY and org.level == Org.Level.PROVINCE:
        return {M.RECOMMENDATIONS: 20, M.MEMBER_GROWTH_PCT: 15}
    return {}


def targets_seed(*, year: int, actor=None) -> int:
    """Create the default targets an org does not have yet for `year`; targets already set are kept."""
    if year not in YEAR_RANGE:
        raise DomainError(_("年度应在 2000 至 2100 之间"))
    with transaction.atomic():
        existing = set(Target.objects.filter(year=year).values_list("org_id", "metric"))
        new = [
            Target(org=org, year=year, metric=metric, value=value, updated_by=actor)
            for org in Org.objects.order_by("tree_id", "lft")
            for metric, value in seed_target_rules(org).items()
            if (org.pk, metric) not in existing
        ]
        Target.objects.bulk_create(new, ignore_conflicts=True)
        if new:
            root = Org.objects.filter(parent__isnull=True).order_by("pk").first()
            audit_record(actor=actor, action="target.seed", obj=root, org=root, data={"year": year, "created": len(new)})
            org_ids = {t.org_id for t in new}
            transaction.on_commit(lambda: progress_schedule(org_ids=org_ids))
    return len(new)
