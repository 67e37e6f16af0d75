"""Consent before the ID number; profile saving; the ID number is write-only and shown masked."""

import pytest
from django.urls import reverse

from members.models import Consent, Person
from members.services.consent import CONSENT_VERSION
from tests.conftest import valid_id_number

pytestmark = pytest.mark.django_db

PROFILE = {
    "name": "赵六",
    "gender": "female",
    "birth_date": "1980-01-01",
    "mobile": "139 0000 1234",
    "email": "zhao@example.com",
    "employer": "井陉县农业技术推广站",
    "discipline": "农学",
    "education": "junior_college",
    "title": "junior",
}


@pytest.fixture
def user_client(client, make_user):
    user = make_user("13900001234", mobile="13900001234")
    client.force_login(user)
    client.user = user
    return client


def test_without_consent_the_profile_has_no_id_number_field_and_ignores_a_posted_one(user_client):
    page = user_client.get(reverse("members:profile")).content.decode()
    assert 'name="id_number"' not in page
    assert "授权" in page
    response = user_client.post(reverse("members:profile"), {**PROFILE, "id_number": valid_id_number(1)})
    assert response.status_code == 302
    person = Person.objects.get(user=user_client.user)
    assert person.name == "赵六" and person.mobile == "13900001234"
    assert person.id_number_index is None and person.id_number_masked == ""


def test_consent_stores_user_version_and_time_then_the_id_number_can_be_entered(user_client):
    response = user_client.post(reverse("members:consent"))
    assert response.status_code == 302
    consent = Consent.objects.get(user=user_client.user)
    assert consent.version == CONSENT_VERSION and consent.given_at and consent.withdrawn_at is None
    id_number = valid_id_number(7)
    response = user_client.post(reverse("members:profile"), {**PROFILE, "id_number": id_number})
    assert response.status_code == 302
    person = Person.objects.get(user=user_client.user)
    assert person.id_number_masked == id_number[:6] + "********" + id_number[-4:]
    page = user_client.get(reverse("members:profile")).content.decode()
    assert person.id_number_masked in page
    assert id_number not in page and id_number[6:14] not in page


def test_blank_id_number_keeps_the_stored_one(user_client):
    user_client.post(reverse("members:consent"))
    id_number = valid_id_number(8)
    user_client.post(reverse("members:profile"), {**PROFILE, "id_number": id_number})
    index = Person.objects.get(user=user_client.user).id_number_index
    response = user_client.post(reverse("members:profile"), {**PROFILE, "employer": "新单位", "id_number": ""})
    assert response.status_code == 302
    person = Person.objects.get(user=user_client.user)
    assert person.employer == "新单位" and person.id_number_index == index


def test_a_bad_id_number_is_refused_in_chinese_keeps_other_input_and_never_echoes_the_id(user_client):
    user_client.post(reverse("members:consent"))
    bad = valid_id_number(9)[:17] + ("0" if valid_id_number(9)[17] != "0" else "1")
    response = user_client.post(reverse("members:profile"), {**PROFILE, "id_number": bad})
    assert response.status_code == 200
    assert "校验位" in " ".join(response.context["form"].errors["id_number"])
    body = response.content.decode()
    assert "井陉县农业技术推广站" in body and 'value="zhao@example.com"' in body
    assert bad not in body
    assert not Person.objects.filter(user=user_client.user).exists()


def test_an_id_number_already_used_by_another_account_is_refused(user_client, make_applicant):
    """Refused with the neutral answer, which does not say that another account holds the number
    (tests/members/test_id_number_in_use.py covers every case)."""
    from members.crypto import decrypt_id_number

    other = make_applicant("钱七")
    user_client.post(reverse("members:consent"))
    from kexie.validators import id_number_birth_date

    number = decrypt_id_number(other.id_number_encrypted)
    response = user_client.post(
        reverse("members:profile"),
        {**PROFILE, "id_number": number, "birth_date": id_number_birth_date(number).isoformat()},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "无法使用该身份证号码" in body and "已被" not in body and "其他账号" not in body


def test_required_fields_get_chinese_errors(user_client):
    response = user_client.post(reverse("members:profile"), {"name": ""})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"name", "employer", "education", "title"} <= set(errors)
    assert "这个字段是必填项" in " ".join(errors["name"])
    # The account's verified number fills the profile's: it is not asked again.
    assert "mobile" not in errors


def test_the_profile_cannot_change_the_verified_mobile(user_client):
    """The login number changes only with a code to the new number (members:mobile_change)."""
    response = user_client.post(reverse("members:profile"), {**PROFILE, "mobile": "13700000001"})
    assert response.status_code == 302
    assert Person.objects.get(user=user_client.user).mobile == "13900001234"
    user_client.user.refresh_from_db()
    assert user_client.user.mobile == "13900001234"


def test_profile_posting_protected_fields_changes_nothing(user_client, make_user):
    """Mass assignment: user, restricted_at, id_number_index etc. are not form fields."""
    other = make_user("13900009999")
    user_client.post(reverse("members:consent"))
    user_client.post(
        reverse("members:profile"),
        {
            **PROFILE,
            "id_number": valid_id_number(11),
            "user": other.pk,
            "id_number_index": "forged",
            "id_number_masked": "forged",
            "id_number_encrypted": "forged",
            "restricted_at": "2020-01-01 00:00",
            "created_at": "2000-01-01 00:00",
        },
    )
    person = Person.objects.get(user=user_client.user)
    assert person.user_id == user_client.user.pk
    assert person.id_number_index != "forged" and person.id_number_masked != "forged"
    assert person.restricted_at is None
    assert not Person.objects.filter(user=other).exists()


def test_withdrawing_consent_erases_an_id_number_nothing_depends_on_and_blocks_new_ones(user_client):
    user_client.post(reverse("members:consent"))
    user_client.post(reverse("members:profile"), {**PROFILE, "id_number": valid_id_number(12)})
    response = user_client.post(reverse("members:consent_withdraw"))
    assert response.status_code == 302
    assert Consent.objects.get(user=user_client.user).withdrawn_at is not None
    person = Person.objects.get(user=user_client.user)
    assert person.id_number_index is None and person.id_number_encrypted == "" and person.id_number_masked == ""
    page = user_client.get(reverse("members:profile")).content.decode()
    assert 'name="id_number"' not in page
    # Consent can be given again, creating a new row.
    user_client.post(reverse("members:consent"))
    assert Consent.objects.filter(user=user_client.user).count() == 2


def test_withdrawing_consent_keeps_the_id_number_of_a_decided_membership(applicant, admin_a, county_a, client):
    from approvals.services import application_approve, application_submit

    application = application_submit(person=applicant, org=county_a, declaration_accepted=True)
    membership = application_approve(application=application, reviewer=admin_a)
    client.force_login(applicant.user)
    client.post(reverse("members:consent_withdraw"))
    applicant.refresh_from_db()
    assert applicant.id_number_index and applicant.id_number_masked
    membership.refresh_from_db()
    assert membership.status == "active"
    assert 'name="id_number"' not in client.get(reverse("members:profile")).content.decode()
    # Without consent a new application is not accepted.
    response = client.post(reverse("applications:apply", args=[county_a.parent_id]), {"declaration": "on"})
    assert response.status_code == 200 and "授权" in response.content.decode()


def test_withdrawing_consent_with_an_open_application_is_refused_with_a_reason(applicant, county_a, client):
    from approvals.services import application_submit

    application_submit(person=applicant, org=county_a, declaration_accepted=True)
    client.force_login(applicant.user)
    response = client.post(reverse("members:consent_withdraw"), follow=True)
    assert "请先撤回这些申请" in response.content.decode()
    assert Consent.objects.get(user=applicant.user).withdrawn_at is None
