"""The data the fuzzer attacks: every role of the tenancy tests and, for each kind of object a URL can name,
one object inside county A (the in-scope one) and one in its sibling county B (out of scope for county A).

Everything is made through the real services, so the objects are in the states the pages expect: a pending,
a returned and an approved application, a member, a unit member, a fee, a committed census with unclaimed
re-registration links, evidence files, notices.
"""

from dataclasses import dataclass, field

from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.conftest import valid_id_number

ROLES = (
    "anonymous",
    "applicant",
    "county_admin",
    "sibling_county_admin",
    "city_admin",
    "province_admin",
    "staff",
)

YEAR = 2026


@dataclass
class World:
    users: dict  # role -> User (anonymous -> None)
    objects: dict  # kind -> {"own": id, "other": id}
    tokens: dict  # "rereg"/"rereg_claimed"/"verify" -> token
    id_numbers: set = field(default_factory=set)  # every full ID number stored in the database
    sessions: dict = field(default_factory=dict)  # role -> session key

    def client(self, role: str, *, enforce_csrf: bool = False) -> Client:
        """A fresh client signed in as `role` by reusing its session: no database write per request."""
        from django.conf import settings

        client = Client(enforce_csrf_checks=enforce_csrf, raise_request_exception=True)
        if role in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        return client


def _census_committed(admin, org, serials):
    from members.services import census as census_services
    from tests.members.conftest import census_row, csv_upload

    census = census_services.census_import_create(
        actor=admin, org=org, file=csv_upload([census_row(n) for n in serials] + [census_row(serials[0] + 50, 身份证号="1")])
    )
    census_services.census_validate(census_id=census.pk)
    census.refresh_from_db()
    census_services.census_commit_start(actor=admin, census=census)
    return census_services.census_commit(census_id=census.pk)


def _paid(membership, year, admin):
    """A fee paid on site and confirmed: the receipt."""
    from members.models import DuesPayment
    from members.services.payments import payment_confirm, payment_submit

    payment = payment_submit(person=membership.person, membership=membership, year=year, method=DuesPayment.Method.ON_SITE)
    return payment_confirm(actor=admin, payment=payment)


def build_world(request) -> World:
    """Build the world from the shared fixtures of tests/conftest.py (the same actors as tests/tenancy)."""
    from approvals import services as approvals
    from members.certificates import verify_token
    from members.crypto import decrypt_id_number
    from members.models import Award, CensusRow, Membership, Notice, Person
    from members.services import census as census_services
    from members.services.consent import consent_give
    from members.models import DuesPayment
    from members.services.fees import fee_set
    from members.services.payments import payment_submit
    from orgs.models import WebhookDelivery, WebhookEndpoint
    from orgs.services.service_tokens import service_token_create
    from orgs.services.webhooks import webhook_endpoint_create, webhook_event_record
    from members.services.notices import notice_create
    from members.services.units import unit_member_create
    from orgs.models import Org

    fx = request.getfixturevalue
    county_a, county_b = fx("county_a"), fx("county_b")
    admin_a, admin_b = fx("admin_a"), fx("admin_b")
    make_applicant, make_admin = fx("make_applicant"), fx("make_admin")

    users = {
        "anonymous": None,
        "county_admin": admin_a,
        "sibling_county_admin": admin_b,
        "city_admin": fx("city_admin"),
        "province_admin": fx("province_admin"),
        "staff": fx("staff"),
    }

    def applicant_in(org, name):
        """A person with consent, an award with evidence, a pending application to `org`, an approved one
        (a membership) to the same org's parent and a returned one to a sibling."""
        person = make_applicant(name)
        consent_give(user=person.user)
        award = Award.objects.create(person=person, name="县科技进步奖", level="county", year=2025)
        award.evidence.save("proof.pdf", ContentFile(b"%PDF-1.4 evidence"), save=True)
        pending = approvals.application_submit(person=person, org=org, declaration_accepted=True)
        other = make_applicant(name + "乙")
        approved = approvals.application_submit(person=other, org=org, declaration_accepted=True)
        membership = approvals.application_approve(application=approved, reviewer=admin_of[org.pk])
        returned_to = Org.objects.filter(parent=org.parent, level=org.level).exclude(pk=org.pk).order_by("-code")[0]
        returned = approvals.application_submit(person=person, org=returned_to, declaration_accepted=True)
        approvals.application_return(application=returned, reviewer=fx("city_admin"), comment="请补充证明材料")
        to_city = approvals.application_submit(person=person, org=org.parent, declaration_accepted=True)
        own_membership = approvals.application_approve(application=to_city, reviewer=fx("city_admin"))
        notice = notice_create(user=person.user, title="通知", body="内容")
        return person, award, pending, returned, membership, own_membership, notice

    admin_of = {county_a.pk: admin_a, county_b.pk: admin_b}
    person_a, award_a, pending_a, returned_a, membership_a, own_membership_a, notice_a = applicant_in(county_a, "赵六")
    person_b, award_b, pending_b, returned_b, membership_b, own_membership_b, notice_b = applicant_in(county_b, "孙八")
    users["applicant"] = person_a.user

    # A pending application to the province itself: the province administrator's queue (own organisation by
    # default) then shows a row to select, with the batch approval form.
    approvals.application_submit(person=make_applicant("周九"), org=county_a.get_root(), declaration_accepted=True)

    unit_a = unit_member_create(
        actor=admin_a, org=county_a, name="井陉某公司", uscc="91130121MA0A1B2C3X", override_reason="与营业执照一致"
    )
    unit_b = unit_member_create(
        actor=admin_b, org=county_b, name="某县某公司", uscc="91130122MA0A1B2C3X", override_reason="与营业执照一致"
    )
    payment, receipt, my_receipt = {}, {}, {}
    for org, admin, member, mine in ((county_a, admin_a, membership_a, own_membership_a), (county_b, admin_b, membership_b, own_membership_b)):
        for fee_org, fee_admin in ((org, admin), (org.parent, fx("city_admin"))):
            for year in (YEAR - 1, YEAR):
                fee_set(actor=fee_admin, org=fee_org, category="regular", year=year, amount=10)
        receipt[org.pk] = _paid(member, YEAR - 1, admin)
        my_receipt[org.pk] = _paid(mine, YEAR - 1, fx("city_admin"))
        proof = SimpleUploadedFile("transfer.pdf", b"%PDF-1.4 transfer", content_type="application/pdf")
        payment[org.pk] = payment_submit(
            person=member.person, membership=member, year=YEAR, method=DuesPayment.Method.BANK_TRANSFER, proof=proof
        )
    # Webhooks point at a loopback port nobody listens on: deliveries fail at once, without leaving the machine.
    hook = {}
    for org, admin in ((county_a, admin_a), (county_b, admin_b)):
        endpoint, _secret = webhook_endpoint_create(
            actor=admin, org=org, url="http://127.0.0.1:9/hook", events=list(WebhookEndpoint.Event.values)
        )
        webhook_event_record(org=org, event=WebhookEndpoint.Event.values[0], payload={"test": True})
        hook[org.pk] = (endpoint, WebhookDelivery.objects.filter(endpoint=endpoint).first())
    token_a, _ = service_token_create(
        actor=admin_a, org=county_a, name="统计系统", scopes=["read_progress"], expires_at=timezone.now() + timedelta(days=30)
    )
    token_b, _ = service_token_create(
        actor=admin_b, org=county_b, name="统计系统", scopes=["read_progress"], expires_at=timezone.now() + timedelta(days=30)
    )

    census_a = _census_committed(admin_a, county_a, [70_001, 70_002, 70_003])
    census_b = _census_committed(admin_b, county_b, [71_001, 71_002])
    rows = list(CensusRow.objects.filter(census=census_a, membership__isnull=False).order_by("row_number"))
    claimed = rows[-1]
    census_services.census_claim(
        token=claimed.invite_token,
        id_number=valid_id_number(70_003),
        password="Claimed-pass-2026",
        mobile="13770070003",
        name=claimed.name,
        employer=claimed.employer,
        education="bachelor",
        title="intermediate",
    )

    second_admin = make_admin(county_a, "county_a_second_admin")
    second_admin_b = make_admin(county_b, "county_b_second_admin")

    objects = {
        "org": {"own": county_a.pk, "other": county_b.pk},
        "application": {"own": pending_a.pk, "other": pending_b.pk},
        "returned_application": {"own": returned_a.pk, "other": returned_b.pk},
        "award": {"own": award_a.pk, "other": award_b.pk},
        "membership": {"own": membership_a.pk, "other": membership_b.pk},
        "my_membership": {"own": own_membership_a.pk, "other": own_membership_b.pk},
        "census": {"own": census_a.pk, "other": census_b.pk},
        "unit": {"own": unit_a.pk, "other": unit_b.pk},
        "account": {"own": second_admin.pk, "other": second_admin_b.pk},
        "notice": {"own": notice_a.pk, "other": notice_b.pk},
        "payment": {"own": payment[county_a.pk].pk, "other": payment[county_b.pk].pk},
        "receipt": {"own": receipt[county_a.pk].pk, "other": receipt[county_b.pk].pk},
        "my_receipt": {"own": my_receipt[county_a.pk].pk, "other": my_receipt[county_b.pk].pk},
        "service_token": {"own": token_a.pk, "other": token_b.pk},
        "webhook": {"own": hook[county_a.pk][0].pk, "other": hook[county_b.pk][0].pk},
        "delivery": {"own": hook[county_a.pk][1].pk, "other": hook[county_b.pk][1].pk},
        "year": {"own": YEAR, "other": 1999},
    }
    tokens = {
        "rereg": rows[0].invite_token,
        "rereg_claimed": claimed.invite_token,
        "verify": verify_token(membership_a),
    }

    id_numbers = {decrypt_id_number(t) for t in Person.objects.exclude(id_number_encrypted="").values_list("id_number_encrypted", flat=True)}
    id_numbers |= {
        decrypt_id_number(t) for t in CensusRow.objects.exclude(id_number_encrypted="").values_list("id_number_encrypted", flat=True)
    }

    # The progress recount is debounced through the cache: held open for the whole run, accepted writes mark
    # orgs dirty without recounting the province after every request (the recount does not read input).
    from django.core.cache import cache

    from approvals.progress import PROGRESS_SCHEDULED_CACHE_KEY

    cache.set(PROGRESS_SCHEDULED_CACHE_KEY, 1, timeout=60 * 60)

    sessions = {}
    for role, user in users.items():
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        sessions[role] = client.cookies["sessionid"].value
    assert Membership.objects.filter(pk=membership_a.pk).exists() and Notice.objects.exists()
    return World(users=users, objects=objects, tokens=tokens, id_numbers=id_numbers, sessions=sessions)
