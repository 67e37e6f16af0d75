from django.urls import reverse

from orgs.models import Target
from tests.tenancy.base import READERS, Case


def _dashboard(ctx):
    return f"{reverse('orgs:dashboard')}?org={ctx['county_a'].pk}&year=2026", None


def _export(ctx):
    return f"{reverse('orgs:dashboard_export')}?org={ctx['county_a'].pk}&year=2026", None


def _target_edit_get(ctx):
    return reverse("orgs:target_edit", args=[ctx["county_a"].pk, 2026]), None


def _province_target_edit(ctx):
    province = ctx["county_a"].get_root()
    return reverse("orgs:target_edit", args=[province.pk, 2026]), None


def _target_edit_post(ctx):
    return reverse("orgs:target_edit", args=[ctx["county_a"].pk, 2026]), {Target.Metric.NEW_MEMBERS: "90"}


SCOPED = [
    Case("orgs:dashboard", _dashboard, READERS),
    Case("orgs:dashboard_export", _export, READERS),
    # Targets are set by the level above: a county administrator cannot set its own.
    Case("orgs:target_edit", _target_edit_get, frozenset({"city_admin", "province_admin"})),
    Case("orgs:target_edit", _target_edit_post, frozenset({"city_admin", "province_admin"}), note="POST"),
    # The province has no level above: its own administrator sets its targets, nobody below does.
    Case("orgs:target_edit", _province_target_edit, frozenset({"province_admin"}), note="province's own"),
]

UNSCOPED = {
    "orgs:target_list": "scoped list of orgs below the administered ones (tests/orgs/test_targets.py)",
    "progress:index": "public aggregates by city and county, no personal data (tests/orgs/test_progress_views.py)",
    "progress:definitions": "public definitions of the figures, no data at all (tests/orgs/test_progress_pages.py)",
}
