"""Member console pages: the directory and a member's page, unit members, fees, census, certificates. County A's objects are built in
extend_context; readers may see them, only managers act on them, everyone else gets 404."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.tenancy.base import MANAGERS, READERS, Case

YEAR = 2026


def extend_context(ctx, request):
    from members.services import census as census_services
    from members.services.memberships import membership_grant
    from tests.members.conftest import census_row, csv_upload

    ctx["membership"] = membership_grant(person=ctx["applicant_person"], org=ctx["county_a"])
    census = census_services.census_import_create(
        actor=ctx["admin_a"], org=ctx["county_a"], file=csv_upload([census_row(90_001), census_row(90_002, 身份证号="1")])
    )
    ctx["census"] = census_services.census_validate(census_id=census.pk)

    from members.services.fees import fee_set
    from members.services.payments import payment_confirm, payment_submit
    from tests.members.conftest import png_bytes

    for year in (YEAR - 1, YEAR):
        fee_set(actor=ctx["admin_a"], org=ctx["county_a"], category="regular", year=year, amount=50)
    paid = payment_submit(person=ctx["applicant_person"], membership=ctx["membership"], year=YEAR - 1, method="on_site")
    ctx["receipt"] = payment_confirm(actor=ctx["admin_a"], payment=paid)
    ctx["dues_payment"] = payment_submit(
        person=ctx["applicant_person"], membership=ctx["membership"], year=YEAR, method="bank_transfer",
        proof=SimpleUploadedFile("回单.png", png_bytes(), content_type="image/png"),
    )


def _org(name, *extra):
    return lambda ctx: (reverse(f"console_members:{name}", args=[ctx["county_a"].pk, *extra]), None)


def _member(name, data):
    return lambda ctx: (reverse(f"console_members:{name}", args=[ctx["membership"].pk]), data(ctx) if callable(data) else data)


def _census(name, post=None):
    return lambda ctx: (reverse(f"console_members:{name}", args=[ctx["census"].pk]), post)


def _upload(ctx):
    csv_bytes = "姓名,身份证号,手机号码,工作单位,学历,职称,会员等级\n".encode("utf-8")
    return (
        reverse("console_members:census_upload", args=[ctx["county_a"].pk]),
        {"file": SimpleUploadedFile("名单.csv", csv_bytes, content_type="text/csv")},
    )


SCOPED = [
    # The directory and its export answer 404 when filtered on an org outside the subtree.
    Case("console_members:member_list", lambda ctx: (reverse("console_members:member_list") + f"?org={ctx['county_a'].pk}", None), READERS),
    Case("console_members:member_export", lambda ctx: (reverse("console_members:member_export") + f"?org={ctx['county_a'].pk}", None), READERS),
    Case("console_members:units", _org("units"), READERS),
    Case("console_members:unit_create", _org("unit_create"), MANAGERS),
    Case("console_members:fees", _org("fees"), READERS),
    Case(
        "console_members:fee_set",
        lambda ctx: (reverse("console_members:fee_set", args=[ctx["county_a"].pk]), {"category": "regular", "year": YEAR, "amount": "10"}),
        MANAGERS,
    ),
    Case("console_members:fee_members", _org("fee_members"), READERS),
    Case(
        "console_members:fee_record",
        lambda ctx: (
            reverse("console_members:fee_record", args=[ctx["county_a"].pk]),
            {"membership": ctx["membership"].pk, "year": YEAR, "kind": "paid", "filters": ""},
        ),
        MANAGERS,
        note="no fee is set for the year: managers get the roster again with the reason (400), others 404",
    ),
    Case(
        "console_members:fee_instructions",
        lambda ctx: (
            reverse("console_members:fee_instructions", args=[ctx["county_a"].pk]),
            {"text": "请到县科协办公室缴纳"},
        ),
        MANAGERS,
    ),
    Case("console_members:dues", _org("dues"), READERS),
    Case("console_members:dues_proof", lambda ctx: (reverse("console_members:dues_proof", args=[ctx["dues_payment"].pk]), None), READERS),
    Case(
        "console_members:dues_confirm",
        lambda ctx: (reverse("console_members:dues_confirm", args=[ctx["dues_payment"].pk]), {}),
        MANAGERS,
    ),
    Case(
        "console_members:dues_reject",
        lambda ctx: (reverse("console_members:dues_reject", args=[ctx["dues_payment"].pk]), {f"p{ctx['dues_payment'].pk}-reason": "看不清"}),
        MANAGERS,
    ),
    Case("console_members:receipt_download", lambda ctx: (reverse("console_members:receipt_download", args=[ctx["receipt"].pk]), None), READERS),
    Case(
        "console_members:renewal_window_set",
        lambda ctx: (reverse("console_members:renewal_window_set", args=[ctx["county_a"].pk]),
                     {"opens_month": 11, "opens_day": 1, "closes_month": 3, "closes_day": 31}),
        MANAGERS,
    ),
    Case("console_members:census", _org("census"), READERS),
    Case(
        "console_members:census_people",
        lambda ctx: (reverse("console_members:census_people", args=[ctx["county_a"].pk]) + "?state=pending", None),
        READERS,
    ),
    Case("console_members:census_people_export", _org("census_people_export"), READERS),
    Case(
        "console_members:census_resend",
        lambda ctx: (reverse("console_members:census_resend", args=[ctx["county_a"].pk]), {"filters": "state=pending"}),
        MANAGERS,
    ),
    Case("console_members:census_upload", _upload, MANAGERS),
    Case("console_members:member_detail", _member("member_detail", None), READERS),
    Case("console_members:member_certificate", _member("member_certificate", None), READERS),
    Case("console_members:member_grade", _member("member_grade", {"grade": "senior", "category": "regular"}), MANAGERS),
    Case("console_members:member_unit", _member("member_unit", {"unit": ""}), MANAGERS),
    Case("console_members:member_fee", _member("member_fee", {"year": YEAR, "kind": "paid"}), MANAGERS),
    Case("console_members:member_status", _member("member_status", {"status": "lapsed", "comment": "测试"}), MANAGERS),
    Case(
        "console_members:member_transfer",
        _member("member_transfer", lambda ctx: {"target_org": ctx["county_b"].pk, "comment": ""}),
        MANAGERS,
        note="admin_a does not manage county B: the target is not a valid choice, answered with a message",
    ),
    Case("console_members:census_detail", _census("census_detail"), READERS),
    Case("console_members:census_status", _census("census_status"), READERS),
    Case("console_members:census_errors", _census("census_errors"), READERS),
    Case("console_members:census_commit", _census("census_commit", {}), MANAGERS),
    Case("console_members:census_retry", _census("census_retry", {"attempts": "1"}), MANAGERS),
]

UNSCOPED = {
    "console_members:home": "scoped list of the user's visible orgs (tests/members/test_console_hub.py)",
    "certificates:download": "own data: the signed-in member's own certificate, 404 for anyone else's "
    "(tests/members/test_certificates.py)",
    "certificates:verify": "public verification page reached by a signed token (tests/members/test_certificates.py)",

    "members:me_fees": "own data",
    "members:membership": "own data: the signed-in member's own card, 404 for anyone else's (tests/members/test_applicant_home.py)",
    "console_members:census_template": "the empty upload template (columns and an example row), no data",
    "members:me_fee_pay": "own membership; another person's membership is 404 (tests/members/test_dues.py)",
    "members:me_receipt": "own receipt; another person's receipt is 404 (tests/members/test_dues.py)",
    "members:me_renewal": "own memberships",
    "members:me_renewal_confirm": "own membership; another person's membership is 404 (tests/members/test_membership_year.py)",
    "members:claim": "public re-registration page; the secret token and the ID number identify the person",
}
