"""Contract test: the applicant journey and the county → city recommendation driven through the API alone
(bearer tokens, JSON and multipart), and no full ID number in any response."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from orgs import permissions
from tests.api.conftest import Recorder
from tests.conftest import PASSWORD, sms_code_for, valid_id_number

pytestmark = pytest.mark.django_db

ID_NUMBER = valid_id_number(777)


def _admin_with_mobile(make_user, org, mobile):
    user = make_user(f"admin-{mobile}", mobile=mobile)
    permissions.grant_administer(user, org)
    return user


def _login(api, mobile):
    return api.call("post", "/api/v1/auth/token/", data={"mobile": mobile, "password": PASSWORD}, format="json", expect=201).json()


def test_applicant_journey_and_county_to_city_recommendation(make_user, county_a, city):
    api = Recorder()
    _admin_with_mobile(make_user, county_a, "13700000001")
    _admin_with_mobile(make_user, city, "13700000002")

    # Register (tokens come back at once), consent, profile with ID number, an award with evidence.
    api.call("post", "/api/v1/auth/sms-code/", data={"mobile": "13912345678", "purpose": "register"}, format="json", expect=202)
    tokens = api.call(
        "post",
        "/api/v1/auth/register/",
        data={"mobile": "13912345678", "password": "Kexie-api-2026", "password_confirm": "Kexie-api-2026",
              "sms_code": sms_code_for("13912345678")},
        format="json",
        expect=201,
    ).json()
    me = tokens["access_token"]
    assert me.startswith("kxa_") and tokens["refresh_token"].startswith("kxr_")
    assert api.call("get", "/api/v1/me/consent/", me).json()["given"] is False
    api.call("post", "/api/v1/me/consent/", me, expect=201)
    profile = api.call(
        "put",
        "/api/v1/me/profile/",
        me,
        data={
            "name": "李四", "gender": "male", "birth_date": "1980-01-01", "id_number": ID_NUMBER,
            "mobile": "13912345678", "employer": "井陉县农业技术推广站", "discipline": "农学",
            "education": "bachelor", "title": "intermediate",
        },
        format="json",
    ).json()
    assert profile["id_number_masked"] == ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
    assert profile["missing_fields"] == []
    award = api.call(
        "post",
        "/api/v1/me/awards/",
        me,
        data={
            "name": "县科技进步奖", "level": "county", "year": 2024, "issuer": "井陉县人民政府",
            "evidence": SimpleUploadedFile("proof.pdf", b"%PDF-1.4 evidence", content_type="application/pdf"),
        },
        format="multipart",
        expect=201,
    ).json()
    assert award["has_evidence"] is True

    # Find the county by name and by the tree, check eligibility, apply (twice with one idempotency key).
    found = api.call("get", f"/api/v1/orgs/?q={county_a.name[3:6]}").json()["results"]
    assert county_a.pk in [o["id"] for o in found]
    tree = api.call("get", f"/api/v1/orgs/tree/?parent={city.pk}").json()
    assert county_a.pk in [o["id"] for o in tree["children"]]
    eligibility = api.call("get", f"/api/v1/orgs/{county_a.pk}/eligibility/", me).json()
    assert eligibility["all_met"] is True and eligibility["consent_given"] is True
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    body = {"org": county_a.pk, "declaration": True, "explanation": ""}
    first = api.call("post", "/api/v1/me/applications/", me, data=body, format="json", expect=201, headers=key)
    again = api.call("post", "/api/v1/me/applications/", me, data=body, format="json", expect=201, headers=key)
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    application_id = first.json()["id"]
    assert api.call("get", "/api/v1/me/applications/", me).json()["results"][0]["status"] == "submitted"

    # The county returns it; the applicant sees why and resubmits; the county approves.
    county = _login(api, "13700000001")["access_token"]
    queue = api.call("get", "/api/v1/review/applications/", county).json()["results"]
    assert [a["id"] for a in queue] == [application_id]
    detail = api.call("get", f"/api/v1/review/applications/{application_id}/", county).json()
    assert detail["can_decide"] and detail["person"]["id_number_masked"].endswith(ID_NUMBER[-4:])
    api.call(
        "post", f"/api/v1/review/applications/{application_id}/decision/", county,
        data={"decision": "return", "comment": "请补充获奖证书"}, format="json",
    )
    mine = api.call("get", f"/api/v1/me/applications/{application_id}/", me).json()
    assert mine["status"] == "returned" and mine["timeline"][-1]["comment"] == "请补充获奖证书"
    api.call("post", f"/api/v1/me/applications/{application_id}/resubmit/", me, data={"explanation": "已补充"}, format="json")
    decided = api.call(
        "post", f"/api/v1/review/applications/{application_id}/decision/", county,
        data={"decision": "approve"}, format="json",
    ).json()
    number = decided["member_number"]
    assert number and decided["application"]["status"] == "approved"
    # A second decision on the same application is a stable conflict code.
    conflict = api.call(
        "post", f"/api/v1/review/applications/{application_id}/decision/", county,
        data={"decision": "reject", "comment": "重复"}, format="json", expect=409,
    ).json()
    assert conflict["code"] == "invalid_transition" and conflict["message"]

    # The member sees the membership and downloads the certificate.
    memberships = api.call("get", "/api/v1/me/memberships/", me).json()
    assert [m["number"] for m in memberships] == [number]
    pdf = api.call("get", memberships[0]["certificate_url"], me)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    # County → city: the county recommends its member, the city sees who recommended and approves.
    members = api.call("get", f"/api/v1/members/?org={county_a.pk}", county).json()["results"]
    membership_id = members[0]["id"]
    recommendation = api.call(
        "post", f"/api/v1/members/{membership_id}/recommend/", county,
        data={"opinion": "推广新品种成效显著"}, format="json", expect=201,
    ).json()
    city_token = _login(api, "13700000002")["access_token"]
    city_queue = api.call("get", f"/api/v1/review/applications/?org={city.pk}&status=submitted", city_token).json()
    city_app = city_queue["results"][0]
    assert city_app["id"] == recommendation["application_id"]
    assert city_app["recommendation"]["from_org"] == county_a.name
    assert city_app["meets_criteria"] is False  # a county award is below the city level's requirement
    city_decision = api.call(
        "post", f"/api/v1/review/applications/{city_app['id']}/decision/", city_token,
        data={"decision": "approve", "override_reason": "县推荐，农技推广业绩突出"}, format="json",
    ).json()
    assert city_decision["member_number"].startswith("C")

    kinds = [e["kind"] for e in api.call("get", f"/api/v1/me/applications/{application_id}/", me).json()["timeline"]]
    assert kinds[-2:] == ["recommended_to", "there_approved"]
    assert len(api.call("get", "/api/v1/me/memberships/", me).json()) == 2
    notices = api.call("get", "/api/v1/me/notices/", me).json()["results"]
    assert notices and notices[0]["title"]

    # Refresh replaces the pair; revoking ends the login.
    refreshed = api.call("post", "/api/v1/auth/token/refresh/", data={"refresh_token": tokens["refresh_token"]}, format="json").json()
    api.call("get", "/api/v1/me/profile/", me, expect=401)
    api.call("post", "/api/v1/auth/token/refresh/", data={"refresh_token": tokens["refresh_token"]}, format="json", expect=401)
    api.call("post", "/api/v1/auth/token/revoke/", refreshed["access_token"], expect=204)
    api.call("get", "/api/v1/me/profile/", refreshed["access_token"], expect=401)

    full = ID_NUMBER.encode()
    assert not [b for b in api.bodies if full in b], "a response carried the full ID number"


def test_withdraw_and_another_persons_objects_are_404(make_applicant, consented, county_a):
    """The applicant withdraws an open application; another person's application, award and certificate
    answer 404, exactly like ids that do not exist."""
    api = Recorder()
    alice, bob = make_applicant("甲"), make_applicant("乙")
    for person in (alice, bob):
        consented(person.user)
    alice_token = _login(api, alice.mobile)["access_token"]
    bob_token = _login(api, bob.mobile)["access_token"]
    application = api.call(
        "post", "/api/v1/me/applications/", alice_token, data={"org": county_a.pk, "declaration": True}, format="json", expect=201
    ).json()
    award_id = api.call("get", "/api/v1/me/awards/", alice_token).json()[0]["id"]
    for url in (f"/api/v1/me/applications/{application['id']}/", f"/api/v1/me/awards/{award_id}/"):
        error = api.call("get", url, bob_token, expect=404).json()
        assert error["code"] == "not_found" and error["message"]
    api.call("post", f"/api/v1/me/applications/{application['id']}/withdraw/", bob_token, expect=404)
    withdrawn = api.call("post", f"/api/v1/me/applications/{application['id']}/withdraw/", alice_token).json()
    assert withdrawn["status"] == "withdrawn"


def test_errors_share_one_shape_with_chinese_messages(api, make_applicant):
    """Validation, authentication and rule errors all answer {code, message, fields?}."""
    invalid = api.post("/api/v1/auth/register/", {"mobile": "123", "password": "x", "password_confirm": "y"}, format="json")
    assert invalid.status_code == 400
    body = invalid.json()
    assert body["code"] == "validation_error" and set(body["fields"]) >= {"mobile"}
    assert "手机" in "".join(body["fields"]["mobile"])
    unauthenticated = api.get("/api/v1/me/profile/").json()
    assert unauthenticated["code"] == "not_authenticated" and unauthenticated["message"]
    wrong = api.post("/api/v1/auth/token/", {"mobile": "13900000000", "password": "nope"}, format="json")
    assert wrong.status_code == 401 and wrong.json()["code"] == "authentication_failed"
    sms = api.post("/api/v1/auth/token/", {"mobile": "13900000000", "sms_code": "123456"}, format="json")
    assert sms.status_code == 401 and sms.json()["code"] == "authentication_failed" and sms.json()["message"]


def test_session_calls_keep_csrf_protection(make_applicant):
    """A browser session without the CSRF token cannot write through the API; bearer calls need no cookie."""
    person = make_applicant("丙")
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(person.user)
    assert browser.get("/api/v1/me/profile/").status_code == 200
    refused = browser.post("/api/v1/me/consent/")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"


def test_token_login_past_the_per_username_ceiling_needs_the_challenge(api, make_applicant, settings):
    """The API login keeps the login page's per-username ceiling: past it, a right password without a solved
    challenge is refused with a challenge to solve (login_challenge_required)."""
    settings.LOGIN_CHALLENGE_AFTER = 2
    person = make_applicant("庚")
    for _ in range(2):
        wrong = api.post("/api/v1/auth/token/", {"mobile": person.mobile, "password": "wrong-pass"}, format="json")
        assert wrong.json()["code"] == "authentication_failed"
    refused = api.post("/api/v1/auth/token/", {"mobile": person.mobile, "password": PASSWORD}, format="json")
    assert refused.status_code == 401
    body = refused.json()
    assert body["code"] == "login_challenge_required" and body["challenge"]["algorithm"] == "SHA-256"


def test_registration_and_recovery_through_the_api_need_an_sms_code(api, sms_outbox):
    """The API registers and recovers with the same codes and limits as the pages."""
    no_code = api.post(
        "/api/v1/auth/register/",
        {"mobile": "13912340001", "password": "Kexie-api-2026", "password_confirm": "Kexie-api-2026"},
        format="json",
    )
    assert no_code.status_code == 400 and "code" in no_code.json()["fields"]
    sent = api.post("/api/v1/auth/sms-code/", {"mobile": "13912340001", "purpose": "register"}, format="json")
    assert sent.status_code == 202 and sent.json() == {"expires_in": 300, "resend_after": 60}
    again = api.post("/api/v1/auth/sms-code/", {"mobile": "13912340001", "purpose": "register"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "sms_code_refused" and "秒后" in again.json()["message"]
    wrong = api.post(
        "/api/v1/auth/register/",
        {"mobile": "13912340001", "password": "Kexie-api-2026", "password_confirm": "Kexie-api-2026",
         "sms_code": "000000" if sms_code_for("13912340001") != "000000" else "111111"},
        format="json",
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "sms_code_refused"
    created = api.post(
        "/api/v1/auth/register/",
        {"mobile": "13912340001", "password": "Kexie-api-2026", "password_confirm": "Kexie-api-2026",
         "sms_code": sms_code_for("13912340001")},
        format="json",
    )
    assert created.status_code == 201

    unknown = api.post("/api/v1/auth/sms-code/", {"mobile": "13912340002", "purpose": "password_reset"}, format="json")
    known = api.post("/api/v1/auth/sms-code/", {"mobile": "13912340001", "purpose": "password_reset"}, format="json")
    assert unknown.status_code == known.status_code == 202 and unknown.json() == known.json()
    assert [m.mobile for m in sms_outbox] == ["13912340001", "13912340001"]
    reset = api.post(
        "/api/v1/auth/password/reset/",
        {"account": "13912340001", "code": sms_code_for("13912340001"), "new_password1": "Xin-api-2026",
         "new_password2": "Xin-api-2026"},
        format="json",
    )
    assert reset.status_code == 204
    token = api.post("/api/v1/auth/token/", {"mobile": "13912340001", "password": "Xin-api-2026"}, format="json")
    assert token.status_code == 201


def test_an_applicant_signs_in_with_an_sms_code_and_an_administrator_cannot(api, sms_outbox, make_applicant, admin_a):
    """Login by SMS code: one code, once; the same answer for any number; administrators keep password + 2FA."""
    from django.contrib.auth import get_user_model

    person = make_applicant("短信")
    mobile = person.user.username
    sent = api.post("/api/v1/auth/sms-code/", {"mobile": mobile, "purpose": "login"}, format="json")
    assert sent.status_code == 202
    code = sms_code_for(mobile)
    wrong = api.post("/api/v1/auth/token/", {"mobile": mobile, "sms_code": "000000" if code != "000000" else "111111"},
                     format="json")
    assert wrong.status_code == 401 and "验证码" in wrong.json()["message"]
    tokens = api.post("/api/v1/auth/token/", {"mobile": mobile, "sms_code": code}, format="json")
    assert tokens.status_code == 201
    access = tokens.json()["access_token"]
    assert api.get("/api/v1/me/profile/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    reused = api.post("/api/v1/auth/token/", {"mobile": mobile, "sms_code": code}, format="json")
    assert reused.status_code == 401, "a code signs in once"

    # An administrator's number gets the same answer but no message, and no code signs them in.
    admin_mobile = "13955550001"
    get_user_model().objects.filter(pk=admin_a.pk).update(mobile=admin_mobile, username=admin_mobile)
    before = len(sms_outbox)
    admin = api.post("/api/v1/auth/sms-code/", {"mobile": admin_mobile, "purpose": "login"}, format="json")
    assert admin.status_code == sent.status_code and admin.json() == sent.json()
    assert len(sms_outbox) == before
    guessed = api.post("/api/v1/auth/token/", {"mobile": admin_mobile, "sms_code": "123456"}, format="json")
    assert guessed.status_code == 401
