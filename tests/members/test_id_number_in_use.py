"""An ID number someone else holds: one neutral answer for every case, the holder told, attempts rate limited."""

import pytest
from django.urls import reverse

from approvals import services as approvals
from members.crypto import decrypt_id_number
from members.models import Notice, Person
from members.services.data_rights import account_delete
from orgs.models import AuditEvent
from kexie.validators import id_number_birth_date
from tests.conftest import valid_id_number
from tests.members.test_profile_and_consent import PROFILE

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(client, make_user):
    user = make_user("13900005678", mobile="13900005678")
    client.force_login(user)
    client.post(reverse("members:consent"))
    client.user = user
    return client


def _with_number(id_number: str) -> dict:
    """The profile form with this number and the birth date it encodes (the form checks that they agree)."""
    return {**PROFILE, "id_number": id_number, "birth_date": id_number_birth_date(id_number).isoformat()}


def _refusal(client, id_number: str) -> str:
    response = client.post(reverse("members:profile"), _with_number(id_number))
    assert response.status_code == 200
    return " ".join(response.context["form"].errors["id_number"])


def test_the_same_answer_whoever_holds_the_number(newcomer, make_applicant, county_a, city_admin):
    """A live account's number and a deleted account's archived number get the identical answer."""
    live = make_applicant("持有人")
    archived = make_applicant("已注销")
    approvals.application_approve(
        application=approvals.application_submit(person=archived, org=county_a, declaration_accepted=True),
        reviewer=city_admin,
    )
    archived_number = decrypt_id_number(archived.id_number_encrypted)
    account_delete(user=archived.user)
    assert Person.objects.get(pk=archived.pk).user is None  # kept for the membership, detached

    answers = {_refusal(newcomer, decrypt_id_number(live.id_number_encrypted)), _refusal(newcomer, archived_number)}
    assert len(answers) == 1
    answer = answers.pop()
    assert "无法使用该身份证号码" in answer and "其他账号" not in answer and "已注册" not in answer
    assert not Person.objects.filter(user=newcomer.user).exists()


def test_the_holder_is_notified_and_the_attempt_audited(newcomer, make_applicant):
    holder = make_applicant("被冒用")
    number = decrypt_id_number(holder.id_number_encrypted)
    response = newcomer.post(reverse("members:profile"), _with_number(number))
    body = response.content.decode()
    assert number not in body and PROFILE["employer"] in body  # nothing typed is lost, the number is not echoed
    notice = Notice.objects.get(user=holder.user)
    assert "有人尝试使用您的身份证号码" == notice.title and "13900005678" not in notice.body
    event = AuditEvent.objects.get(action="person.id_number_refused")
    assert event.actor == newcomer.user and event.object_id == str(holder.pk)
    assert not Notice.objects.filter(user=newcomer.user).exists()


def test_id_number_attempts_are_limited_per_account_whatever_the_outcome(newcomer):
    """Five well-formed numbers an hour, saved or refused alike: the sixth is refused before anyone looks it up,
    so the limit reveals nothing (a mistyped check digit is caught by the form and does not count)."""
    for n in range(5):
        assert newcomer.post(reverse("members:profile"), {**PROFILE, "id_number": valid_id_number(900 + n)}).status_code == 302
    saved = Person.objects.get(user=newcomer.user).id_number_index
    response = newcomer.post(reverse("members:profile"), {**PROFILE, "id_number": valid_id_number(950)})
    assert response.status_code == 429
    assert "提交次数过多" in " ".join(response.context["form"].errors["id_number"])
    assert PROFILE["employer"] in response.content.decode() and valid_id_number(950) not in response.content.decode()
    assert Person.objects.get(user=newcomer.user).id_number_index == saved
    # The rest of the profile can still be saved without the number.
    response = newcomer.post(reverse("members:profile"), {**PROFILE, "employer": "新单位"})
    assert response.status_code == 302 and Person.objects.get(user=newcomer.user).employer == "新单位"
