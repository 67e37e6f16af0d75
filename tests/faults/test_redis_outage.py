"""Redis stopped: every request that the database can serve still answers, and nothing it committed is lost.

The cache and the broker live on a throwaway redis-server that each test stops; the shared Redis is untouched.
"""

import time

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from approvals.models import Application
from members.models import Notice
from orgs.models import ProgressDelta
from tests.conftest import PASSWORD, register_via_form


def test_the_cache_answers_as_a_miss_while_redis_is_down_and_recovers(redis_everywhere):
    cache.set("probe", 1)
    assert cache.get("probe") == 1
    redis_everywhere.stop()
    started = time.monotonic()
    assert cache.get("probe") is None
    assert cache.get("probe", "fallback") == "fallback"
    assert cache.add("probe", 2) is True
    assert cache.incr("probe") == 1
    assert cache.get_or_set("computed", lambda: "fresh") == "fresh"
    cache.set("probe", 3)
    cache.delete("probe")
    assert time.monotonic() - started < 5
    redis_everywhere.start()
    cache.set("probe", 4)
    assert cache.get("probe") == 4


def test_login_and_registration_work_while_redis_is_down(redis_everywhere, make_user):
    user = make_user("13800138111", mobile="13800138111")
    redis_everywhere.stop()
    client = Client(raise_request_exception=False)

    wrong = client.post(reverse("login"), {"username": user.username, "password": "wrong-password"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    right = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    fresh = Client(raise_request_exception=False)
    registered = register_via_form(fresh, "13800139222")
    assert registered.status_code == 302
    assert registered["Location"] == reverse("members:consent")


def test_a_signed_in_session_is_read_from_the_database_while_redis_is_down(redis_everywhere, make_user):
    user = make_user("13800138112", mobile="13800138112")
    client = Client(raise_request_exception=False)
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    assert client.get(reverse("members:me")).status_code == 200
    redis_everywhere.stop()
    assert client.get(reverse("members:me")).status_code == 200, "the session row is in the database"


def test_signing_out_while_redis_hangs_stays_signed_out_once_it_answers_again(redis_everywhere, make_user):
    """A hung Redis keeps the session's cached copy that the sign-out could not delete; the copy lives at most
    the sessions cache's MAX_TIMEOUT, so the old cookie does not sign the person in again for hours."""
    import os
    import signal

    from django.core.cache import caches

    from tests.faults.conftest import SESSION_CACHE_SECONDS

    user = make_user("13800138113", mobile="13800138113")
    client = Client(raise_request_exception=False)
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    assert client.get(reverse("members:me")).status_code == 200
    signed_in_at = time.monotonic()
    key = client.cookies["sessionid"].value
    sessions = caches["sessions"]
    stored = sessions.make_and_validate_key(f"django.contrib.sessions.cached_db{key}")
    ttl = sessions._cache.get_client(stored).ttl(stored)
    assert 0 < ttl <= SESSION_CACHE_SECONDS, "the cached copy is capped, not kept for the session's 8 hours"

    os.kill(redis_everywhere.process.pid, signal.SIGSTOP)
    try:
        assert client.post(reverse("logout")).status_code == 302
    finally:
        os.kill(redis_everywhere.process.pid, signal.SIGCONT)
    time.sleep(max(0.0, SESSION_CACHE_SECONDS + 0.5 - (time.monotonic() - signed_in_at)))
    old = Client(raise_request_exception=False)
    old.cookies["sessionid"] = key
    response = old.get(reverse("members:me"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_submit_answers_while_redis_is_down_and_the_notice_is_sent_once_it_is_back(
    redis_everywhere, make_applicant, county_a, django_capture_on_commit_callbacks
):
    from members.tasks import notices_deliver_pending

    from members.services.consent import consent_give

    person = make_applicant()
    consent_give(user=person.user)
    client = Client(raise_request_exception=False)
    client.force_login(person.user)
    redis_everywhere.stop()

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("applications:apply", args=[county_a.pk]), {"declaration": "on"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert time.monotonic() - started < 10
    application = Application.objects.get(person=person, org=county_a)
    assert application.status == Application.Status.SUBMITTED
    notice = Notice.objects.get(user=person.user)
    assert notice.emailed_at is None and mail.outbox == []

    # The person looks at their applications: the submission is there, no second one is needed.
    page = client.get(reverse("applications:application_list"))
    assert page.status_code == 200 and county_a.name in page.content.decode()

    redis_everywhere.start()
    assert notices_deliver_pending.apply().get() == 1
    notice.refresh_from_db()
    assert notice.emailed_at is not None and len(mail.outbox) == 1
    assert Application.objects.filter(person=person).count() == 1


@pytest.mark.parametrize(
    ("decision", "comment", "status"),
    [
        ("approve", "同意", Application.Status.APPROVED),
        ("reject", "材料与事实不符", Application.Status.REJECTED),
        ("return", "请补充获奖证书", Application.Status.RETURNED),
    ],
)
def test_a_decision_answers_while_redis_is_down_and_its_progress_deltas_wait_for_the_sweep(
    redis_everywhere, admin_a, county_a, make_applicant, django_capture_on_commit_callbacks, decision, comment, status
):
    from approvals.services import application_submit

    person = make_applicant()
    application = application_submit(person=person, org=county_a, declaration_accepted=True)
    ProgressDelta.objects.all().delete()
    client = Client(raise_request_exception=False)
    client.force_login(admin_a)
    redis_everywhere.stop()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("approvals:decide", args=[application.pk]), {"decision": decision, "comment": comment}
        )
    assert response.status_code == 302, response.content.decode()[:500]
    application.refresh_from_db()
    assert application.status == status
    # The counted change is recorded in the database; the periodic run applies it once Redis is back. A return
    # leaves the application open (pending either way): it changes no counted figure.
    if status == Application.Status.RETURNED:
        assert not ProgressDelta.objects.exists()
    else:
        assert ProgressDelta.objects.filter(org=county_a, key=status, n=1).exists()

    # Pressing again tells the reviewer it was already handled, not an error page.
    again = client.post(
        reverse("approvals:decide", args=[application.pk]), {"decision": decision, "comment": comment}, follow=True
    )
    assert again.status_code == 409  # the detail page again, with the message on top
    assert "已被处理" in again.content.decode()


def test_the_public_progress_page_answers_while_redis_is_down(redis_everywhere, hebei):
    redis_everywhere.stop()
    response = Client(raise_request_exception=False).get(reverse("progress:index"))
    assert response.status_code == 200
    assert "石家庄市" in response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_kept_review_queue_answers_fresh_while_redis_is_down_and_after_it_is_back(redis_everywhere, city_admin,
                                                                                  county_a, submit):
    """The queue kept in Redis (kexie.page_cache) is not needed to answer: with Redis down the page is rendered
    from the database, showing what was written meanwhile, and once Redis is back pages are kept again."""
    from kexie.page_cache import KEY_PREFIX

    submit(county_a, "停机前")
    client = Client(raise_request_exception=False)
    client.force_login(city_admin)
    queue, query = reverse("approvals:queue"), {"subtree": "on"}
    client.get(queue, query)
    kept = client.get(queue, query).content.decode()
    redis = cache._cache.get_client()
    assert "停机前" in kept and list(redis.scan_iter(match=cache.make_key(KEY_PREFIX + "*")))

    redis_everywhere.stop()
    submit(county_a, "停机中")
    during = client.get(queue, query)
    assert during.status_code == 200
    assert "停机前" in during.content.decode() and "停机中" in during.content.decode()

    redis_everywhere.start()
    after = client.get(queue, query).content.decode()
    assert "停机中" in after
    # After a failure the cache is not tried again for RETRY_AFTER seconds (kexie/cache.py): wait for it to answer.
    deadline = time.monotonic() + 10
    while cache.get("probe") != "back" and time.monotonic() < deadline:
        cache.set("probe", "back")
        time.sleep(0.2)
    rendered = client.get(queue, query).content.decode()
    assert client.get(queue, query).content.decode() == rendered, "answered from the copy (the same CSRF mask)"
    redis = cache._cache.get_client()
    assert list(redis.scan_iter(match=cache.make_key(KEY_PREFIX + "*"))), "kept again"
