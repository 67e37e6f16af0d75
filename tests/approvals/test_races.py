"""Concurrent decisions on PostgreSQL with real threads: one decision lands, numbers stay gapless."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from approvals import services
from approvals.models import Application
from members.models import Membership
from orgs.models import AuditEvent


def _run_together(*calls):
    """Start every call at the same instant in its own thread; return (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:  # noqa: BLE001 - asserted by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_approving_at_once_grant_exactly_one_membership(hebei, admin_a, city_admin, county_a, submit):
    application = submit(county_a, "并发审批")
    results, errors = _run_together(
        lambda: services.application_approve(application=application, reviewer=admin_a),
        lambda: services.application_approve(application=application, reviewer=city_admin),
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], services.TransitionError)
    assert str(errors[0].message).startswith("该申请已被处理")
    assert Membership.objects.filter(application=application).count() == 1
    assert AuditEvent.objects.for_object(application).filter(action="application.approve").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_approvals_get_gapless_unique_numbers(hebei, admin_a, county_a, submit):
    applications = [submit(county_a, f"并发{i:02d}") for i in range(16)]
    results, errors = _run_together(
        *[(lambda a=a: services.application_approve(application=a, reviewer=admin_a)) for a in applications]
    )
    assert errors == []
    numbers = sorted(Membership.objects.filter(org=county_a).values_list("number", flat=True))
    year = timezone.localdate().year
    assert numbers == [f"X{year}-{county_a.code}-{n:05d}" for n in range(1, 17)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_approve_and_withdraw_at_once_exactly_one_wins(hebei, admin_a, county_a, submit):
    for round_ in range(5):
        application = submit(county_a, f"撤回竞争{round_}")
        results, errors = _run_together(
            lambda: services.application_approve(application=application, reviewer=admin_a),
            lambda: services.application_withdraw(application=application, person=application.person),
        )
        assert len(results) == 1 and len(errors) == 1
        assert isinstance(errors[0], services.TransitionError)
        application.refresh_from_db()
        has_membership = Membership.objects.filter(application=application).exists()
        if application.status == Application.Status.APPROVED:
            assert has_membership
        else:
            assert application.status == Application.Status.WITHDRAWN and not has_membership


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_application_submitted_eight_times_at_once_is_stored_once(hebei, county_a, make_applicant):
    from kexie.errors import DomainError

    person = make_applicant("并发申请人")
    results, errors = _run_together(*[
        lambda: services.application_submit(person=person, org=county_a, declaration_accepted=True)
        for _ in range(8)
    ])
    assert len(results) == 1 and len(errors) == 7
    assert all(isinstance(e, DomainError) and "请勿重复提交" in str(e.message) for e in errors)
    assert Application.objects.filter(person=person, org=county_a).count() == 1
    assert AuditEvent.objects.filter(action="application.submit", object_id=str(results[0].pk)).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_different_people_submit_to_one_org_at_once_without_waiting_for_each_other(hebei, county_a, make_applicant):
    people = [make_applicant(f"申请人{i}") for i in range(8)]
    results, errors = _run_together(*[
        (lambda p=p: services.application_submit(person=p, org=county_a, declaration_accepted=True)) for p in people
    ])
    assert errors == [] and len(results) == 8
    assert Application.objects.filter(org=county_a, status="submitted").count() == 8
