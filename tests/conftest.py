"""Shared fixtures: the Hebei tree, administrator accounts by role, applicants, applications and members made
through services."""

import itertools
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kexie.validators import id_number_check_digit
from orgs import permissions
from orgs.models import Org
from tests.cache_keys import cache_keys, cache_on_redis
from orgs.services.tree import orgs_load_csv

HEBEI_CSV = Path(settings.BASE_DIR) / "orgs" / "data" / "hebei_orgs.csv"
PASSWORD = "Test-pass-2026"

_serial = itertools.count(1)
# Far from the serials tests/conftest.py hands out, so bulk members never collide with applicants.
_bulk_serial = itertools.count(500_000)


def pytest_collection_modifyitems(config, items):
    on_postgres = bool(os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")))
    has_redis = bool(os.environ.get("REDIS_URL"))
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="需要 PostgreSQL（DATABASE_URL）：SQLite 不支持行锁"))
        if "celery_worker" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="需要 Redis 与真实 Celery worker（REDIS_URL）"))


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate limits, failed-login counters and copies of pages live in the cache, which outlives a test: each test
    starts without them."""
    from django.core.cache import cache

    from kexie.scheduler import task_wakes_forget

    task_wakes_forget()
    if not cache_on_redis():
        cache.clear()
        return
    from redis.exceptions import RedisError

    try:
        keys = cache_keys(
            "ratelimit:*", "approvals:queue:count:*", "orgs:dashboard:*", "progress:public:*", "page:*", "wake:*"
        )
        if keys:
            cache._cache.get_client(write=True).delete(*keys)
    except RedisError:
        pass  # Redis is down (the fault tests): there are no counters to clear.


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the Hebei tree once; plain db tests roll back to it, transactional tests reload it."""
    with django_db_blocker.unblock():
        orgs_load_csv(HEBEI_CSV)


@pytest.fixture
def hebei(db) -> Org:
    if not Org.objects.exists():
        orgs_load_csv(HEBEI_CSV)
    return Org.objects.get(external_id="1")


@pytest.fixture
def province(hebei) -> Org:
    return hebei


@pytest.fixture
def city(hebei) -> Org:
    return Org.objects.get(name="石家庄市科学技术协会")


@pytest.fixture
def other_city(hebei) -> Org:
    return Org.objects.get(name="唐山市科学技术协会")


@pytest.fixture
def county_a(city) -> Org:
    return Org.objects.filter(parent=city, kind=Org.Kind.KEXIE, level=Org.Level.COUNTY).order_by("code")[0]


@pytest.fixture
def county_b(city) -> Org:
    """County A's sibling under the same city."""
    return Org.objects.filter(parent=city, kind=Org.Kind.KEXIE, level=Org.Level.COUNTY).order_by("code")[1]


@pytest.fixture
def other_county(other_city) -> Org:
    return Org.objects.filter(parent=other_city, kind=Org.Kind.KEXIE, level=Org.Level.COUNTY).order_by("code")[0]


# A second province beside Hebei under a national root (external id, parent, level, kind, name, code).
NATIONAL_ROWS = [
    ("9000", "", "national", "kexie", "中国科学技术协会", "CAST"),
    ("9001", "9000", "province", "kexie", "山西省科学技术协会", "SX"),
    ("9002", "9001", "city", "kexie", "太原市科学技术协会", "SX01"),
    ("9003", "9002", "county", "kexie", "太原市小店区科学技术协会", "SX0101"),
    ("9004", "9001", "province", "society", "山西省物理学会", "SXS001"),
]


@pytest.fixture
def national(hebei, tmp_path) -> Org:
    """The national shape: Hebei moved under 中国科协 beside Shanxi, through the org loader (as a deployment
    going national would do it). Returns the national root; `hebei` is refreshed in place."""
    import csv

    with open(HEBEI_CSV, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["code"] = ""
        if row["id"] == "1":
            row["parent_id"] = "9000"
    rows += [dict(zip(["id", "parent_id", "level", "kind", "name", "code"], r)) for r in NATIONAL_ROWS]
    path = tmp_path / "national_orgs.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "parent_id", "level", "kind", "name", "code"])
        writer.writeheader()
        writer.writerows(rows)
    orgs_load_csv(path)
    hebei.refresh_from_db()
    return Org.objects.get(external_id="9000")


@pytest.fixture
def shanxi(national) -> Org:
    return Org.objects.get(external_id="9001")


@pytest.fixture
def shanxi_county(national) -> Org:
    return Org.objects.get(external_id="9003")


@pytest.fixture
def national_admin(make_admin, national):
    return make_admin(national, "national_admin")


@pytest.fixture
def shanxi_admin(make_admin, shanxi):
    return make_admin(shanxi, "shanxi_admin")


@pytest.fixture
def make_user(db, django_user_model):
    def make(username: str | None = None, **fields):
        username = username or f"user{next(_serial)}"
        user = django_user_model(username=username, full_name=fields.pop("full_name", username), **fields)
        user.set_password(PASSWORD)
        user.save()
        return user

    return make


@pytest.fixture
def make_admin(make_user):
    """An administrator account granted on the given org (through the permission policy)."""
    def make(org: Org, username: str | None = None):
        user = make_user(username)
        permissions.grant_administer(user, org)
        return user

    return make


@pytest.fixture
def make_staff(make_user, province):
    def make(department: str = "org_personnel", username: str | None = None):
        user = make_user(username, department=department)
        permissions.grant_view(user, province)
        return user

    return make


@pytest.fixture
def make_officer(make_user):
    """A 三员 account (orgs.models.OfficerRole) holding `role` over `org` and its subtree."""
    def make(role: str, org: Org, username: str | None = None):
        user = make_user(username)
        permissions.grant_officer_role(user, org, role)
        return user

    return make


@pytest.fixture
def system_officer(make_officer, city):
    return make_officer("system_admin_org", city, "system_officer")


@pytest.fixture
def security_officer(make_officer, city):
    return make_officer("security_admin_org", city, "security_officer")


@pytest.fixture
def audit_officer(make_officer, city):
    return make_officer("audit_admin_org", city, "audit_officer")


@pytest.fixture
def admin_a(make_admin, county_a):
    return make_admin(county_a, "admin_a")


@pytest.fixture
def admin_b(make_admin, county_b):
    return make_admin(county_b, "admin_b")


@pytest.fixture
def city_admin(make_admin, city):
    return make_admin(city, "city_admin")


@pytest.fixture
def other_city_admin(make_admin, other_city):
    return make_admin(other_city, "other_city_admin")


@pytest.fixture
def province_admin(make_admin, province):
    return make_admin(province, "province_admin")


@pytest.fixture
def staff(make_staff):
    return make_staff(username="staff")


def valid_id_number(n: int, birth: str = "19800101") -> str:
    """A valid 18-character ID number, distinct for each n."""
    from datetime import date, timedelta

    if birth == "19800101":
        birth = (date(1980, 1, 1) + timedelta(days=n // 1000)).strftime("%Y%m%d")
    first17 = f"130102{birth}{n % 1000:03d}"
    return first17 + id_number_check_digit(first17)


@pytest.fixture
def make_applicant(make_user):
    """A registered applicant with a complete profile and one award, created through the services."""
    from members.models import Award, Person
    from members.services.people import person_profile_save

    def make(
        name: str = "张三",
        *,
        education: str = Person.Education.BACHELOR,
        title: str = Person.Title.INTERMEDIATE,
        award_level: str | None = "provincial",
        **fields,
    ) -> Person:
        n = next(_serial)
        mobile = f"139{n:08d}"
        user = make_user(mobile, mobile=mobile, email=f"u{n}@example.com", full_name=name)
        person = person_profile_save(
            user=user,
            id_number=valid_id_number(n),
            name=name,
            mobile=mobile,
            email=user.email,
            employer="河北省某研究所",
            discipline="材料科学",
            education=education,
            title=title,
            **fields,
        )
        if award_level:
            Award.objects.create(person=person, name="科技进步奖", level=award_level, year=2024, issuer="河北省人民政府")
        return person

    return make


@pytest.fixture
def consented(db):
    from members.services.consent import consent_give

    def give(user):
        return consent_give(user=user)

    return give


@pytest.fixture
def applicant(make_applicant, consented):
    """A signed-up applicant with consent, a complete profile and a provincial award."""
    person = make_applicant("李四")
    consented(person.user)
    return person


@pytest.fixture
def applicant_client(client, applicant):
    client.force_login(applicant.user)
    return client


@pytest.fixture
def submit(make_applicant):
    """submit(org, name=..., **profile) → a submitted Application of a fresh applicant."""
    from approvals.services import application_submit

    def make(org, name: str = "张三", *, explanation: str = "", **profile):
        person = make_applicant(name, **profile)
        return application_submit(person=person, org=org, explanation=explanation, declaration_accepted=True)

    return make


@pytest.fixture
def make_members():
    """`n` active members of `org`, written in bulk the way the census commit writes them."""
    from members.crypto import encrypt_id_number, id_number_blind_index
    from members.models import Membership, Person
    from members.services.numbers import member_numbers_reserve
    from kexie.validators import mask_id_number

    def make(org, n: int, *, grade: str = Membership.Grade.ORDINARY, status: str = Membership.Status.ACTIVE,
             origin: str = Membership.Origin.APPLICATION):
        serials = [next(_bulk_serial) for _ in range(n)]
        people = []
        for s in serials:
            id_number = valid_id_number(s)
            people.append(
                Person(
                    name=f"成员{s}",
                    id_number_encrypted=encrypt_id_number(id_number),
                    id_number_index=id_number_blind_index(id_number),
                    id_number_masked=mask_id_number(id_number),
                    mobile=f"136{s:08d}",
                    employer="某单位",
                )
            )
        with transaction.atomic():
            people = Person.objects.bulk_create(people)
            numbers = member_numbers_reserve(org=org, year=timezone.localdate().year, count=n)
            return Membership.objects.bulk_create(
                [
                    Membership(person=p, org=org, level=org.level, number=num, grade=grade, status=status,
                               origin=origin, joined_on=timezone.localdate())
                    for p, num in zip(people, numbers)
                ]
            )

    return make


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def login_via_form(client, username: str, password: str = PASSWORD) -> bool:
    """Sign in through the real login page (axes needs the request); True when the session is authenticated."""
    from django.urls import reverse

    client.post(reverse("login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session


@pytest.fixture(autouse=True)
def sms_outbox():
    """Text messages of this test (kexie.sms.LocmemBackend in the test settings)."""
    from kexie import sms

    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def sms_code_for(mobile: str) -> str:
    """The code in the newest text message sent to `mobile`."""
    from kexie import sms
    from kexie.validators import normalize_mobile

    mobile = normalize_mobile(mobile)
    sent = [m for m in sms.outbox if m.mobile == mobile]
    assert sent, f"no text message was sent to {mobile}"
    return sent[-1].params[0]


def register_via_form(client, mobile: str, password: str = "Kexie-2026-ok", **fields):
    """Register through the page as a person does: ask for the code, then submit it with the password."""
    from django.urls import reverse

    url = reverse("members:register")
    sent = client.post(url, {"mobile": mobile, "action": "send_code", **fields})
    assert sent.status_code == 200, sent.status_code
    return client.post(
        url,
        {"mobile": mobile, "code": sms_code_for(mobile), "password": password, "password_confirm": password, **fields},
    )
