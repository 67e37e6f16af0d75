"""Fellows never exceed 1% of an organisation's individual members, even under concurrent grants."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from kexie.errors import DomainError, OutOfScope
from members.models import Membership
from members.selectors.directory import fellow_places
from members.services.memberships import fellow_cap, membership_grade_set
from orgs.models import AuditEvent


def test_cap_is_one_percent_rounded_down():
    assert [fellow_cap(n) for n in (0, 99, 100, 250, 299, 300, 60_000)] == [0, 0, 1, 2, 2, 3, 600]


@pytest.mark.django_db
def test_250_members_allow_two_fellows_and_refuse_the_third(county_a, admin_a, make_members):
    members = make_members(county_a, 250)
    membership_grade_set(actor=admin_a, membership=members[0], grade="fellow")
    membership_grade_set(actor=admin_a, membership=members[1], grade="fellow")
    assert fellow_places(county_a).remaining == 0
    with pytest.raises(DomainError, match="会士名额已满"):
        membership_grade_set(actor=admin_a, membership=members[2], grade="fellow")
    assert Membership.objects.filter(org=county_a, grade="fellow").count() == 2
    # A fellow may still change category, and other grades are never capped.
    membership_grade_set(actor=admin_a, membership=members[0], grade="fellow", category="honorary")
    membership_grade_set(actor=admin_a, membership=members[2], grade="senior")
    events = AuditEvent.objects.filter(action="membership.grade", object_id=str(members[0].pk))
    assert events.count() == 2
    assert events.last().data["after"] == {"grade": "fellow", "category": "honorary"}


@pytest.mark.django_db
def test_a_sibling_admin_cannot_set_a_grade(county_a, admin_b, make_members):
    member = make_members(county_a, 1)[0]
    with pytest.raises(OutOfScope):
        membership_grade_set(actor=admin_b, membership=member, grade="senior")


@pytest.mark.django_db
def test_console_shows_fellow_places_remaining(client, county_a, admin_a, make_members):
    make_members(county_a, 300)
    client.force_login(admin_a)
    page = client.get(reverse("console_members:member_list"), {"org": county_a.pk}).content.decode()
    assert '剩余名额 <b class="remaining">3</b>' in page
    # Without a filter the county administrator's own organisation is the single org shown.
    assert '剩余名额 <b class="remaining">3</b>' in client.get(reverse("console_members:member_list")).content.decode()
    assert "fellow-places" not in client.get(reverse("console_members:member_list"), {"subtree": "on"}).content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_fellow_grants_never_exceed_one_percent(hebei, county_a, make_admin, make_members):
    admin = make_admin(county_a, "race_admin")
    members = make_members(county_a, 300)
    targets = members[:16]
    barrier = threading.Barrier(len(targets))
    outcomes: list[str] = []
    lock = threading.Lock()

    def grant(membership):
        try:
            barrier.wait()
            membership_grade_set(actor=admin, membership=membership, grade="fellow")
            result = "ok"
        except DomainError as exc:
            result = str(exc.message)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=grant, args=(m,)) for m in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("ok") == 3
    refused = [o for o in outcomes if o != "ok"]
    assert len(refused) == 13 and all("会士名额已满" in o for o in refused)
    assert Membership.objects.filter(org=county_a, grade="fellow").count() == 3
