"""SMS codes: stored hashed, 5 minutes, 5 attempts, resend after 60 s, limits per number and per address."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from members.models import Person, VerificationCode
from members.services.verification import CodeRefused, Purpose, sms_code_send, sms_code_verify
from tests.conftest import PASSWORD, register_via_form, sms_code_for

pytestmark = pytest.mark.django_db

User = get_user_model()


def _age_codes(seconds: int, **filters) -> None:
    """Move codes into the past, as if that much time had gone by since they were sent."""
    for row in VerificationCode.objects.filter(**filters):
        VerificationCode.objects.filter(pk=row.pk).update(
            created_at=row.created_at - timedelta(seconds=seconds), expires_at=row.expires_at - timedelta(seconds=seconds)
        )


def test_a_code_is_six_digits_sent_once_and_stored_only_as_a_digest(sms_outbox):
    row = sms_code_send(mobile="13800138100", purpose=Purpose.REGISTER, client_ip="10.0.0.1")
    assert len(sms_outbox) == 1
    message = sms_outbox[0]
    code = message.params[0]
    assert len(code) == 6 and code.isdigit()
    assert message.params[1] == "5" and code in message.text and "注册账号" in message.text
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert (row.expires_at - row.created_at) == timedelta(minutes=5)
    assert row.client_ip == "10.0.0.1"


def test_the_right_code_is_accepted_once():
    sms_code_send(mobile="13800138101", purpose=Purpose.REGISTER)
    code = sms_code_for("13800138101")
    sms_code_verify(mobile="13800138101", purpose=Purpose.REGISTER, code=code)
    with pytest.raises(CodeRefused, match="已失效"):
        sms_code_verify(mobile="13800138101", purpose=Purpose.REGISTER, code=code)


def test_a_code_proves_nothing_for_another_number_or_purpose():
    sms_code_send(mobile="13800138102", purpose=Purpose.REGISTER)
    code = sms_code_for("13800138102")
    with pytest.raises(CodeRefused):
        sms_code_verify(mobile="13800138103", purpose=Purpose.REGISTER, code=code)
    with pytest.raises(CodeRefused):
        sms_code_verify(mobile="13800138102", purpose=Purpose.PASSWORD_RESET, code=code)
    sms_code_verify(mobile="13800138102", purpose=Purpose.REGISTER, code=code)


def test_five_wrong_entries_kill_the_code_even_the_right_one_after_them():
    sms_code_send(mobile="13800138104", purpose=Purpose.REGISTER)
    code = sms_code_for("13800138104")
    wrong = "000000" if code != "000000" else "111111"
    messages = []
    for _ in range(5):
        with pytest.raises(CodeRefused) as refused:
            sms_code_verify(mobile="13800138104", purpose=Purpose.REGISTER, code=wrong)
        messages.append(str(refused.value.message))
    assert messages[0] == "验证码不正确，还可以再试 4 次"
    assert "已达上限" in messages[-1]
    with pytest.raises(CodeRefused, match="已失效"):
        sms_code_verify(mobile="13800138104", purpose=Purpose.REGISTER, code=code)


def test_a_code_expires_after_five_minutes():
    sms_code_send(mobile="13800138105", purpose=Purpose.REGISTER)
    code = sms_code_for("13800138105")
    _age_codes(5 * 60 + 1, address="13800138105")
    with pytest.raises(CodeRefused, match="已失效"):
        sms_code_verify(mobile="13800138105", purpose=Purpose.REGISTER, code=code)


def test_a_new_code_needs_sixty_seconds_and_replaces_the_old_one(sms_outbox):
    sms_code_send(mobile="13800138106", purpose=Purpose.REGISTER)
    first = sms_code_for("13800138106")
    with pytest.raises(CodeRefused, match="秒后再重新获取"):
        sms_code_send(mobile="13800138106", purpose=Purpose.REGISTER)
    assert len(sms_outbox) == 1
    _age_codes(61, address="13800138106")
    sms_code_send(mobile="13800138106", purpose=Purpose.REGISTER)
    second = sms_code_for("13800138106")
    if first != second:
        with pytest.raises(CodeRefused):
            sms_code_verify(mobile="13800138106", purpose=Purpose.REGISTER, code=first)
    sms_code_verify(mobile="13800138106", purpose=Purpose.REGISTER, code=second)


def test_twenty_requests_for_one_number_in_an_hour_send_five_codes(sms_outbox):
    """A script hammering one number (SMS bombing) gets 5 messages an hour through, whatever it waits."""
    client = Client(REMOTE_ADDR="10.9.9.9")
    refused = []
    for _ in range(20):
        response = client.post(reverse("members:register"), {"mobile": "13800138107", "action": "send_code"})
        assert response.status_code == 200
        refused.append(bool(response.context["form"].errors))
        # Past the 60-second resend interval before each next request, still within the hour.
        _age_codes(61, address="13800138107")
    assert len(sms_outbox) == 5
    assert refused == [False] * 5 + [True] * 15
    last = client.post(reverse("members:register"), {"mobile": "13800138107", "action": "send_code"})
    assert "过于频繁" in " ".join(last.context["form"].errors["mobile"])
    # A day allows 10: after the hour has passed, five more and then no more that day.
    _age_codes(3600, address="13800138107")
    for _ in range(7):
        client.post(reverse("members:register"), {"mobile": "13800138107", "action": "send_code"})
        _age_codes(61, address="13800138107")
    assert len(sms_outbox) == 10


def test_two_hundred_people_register_from_one_office_address_within_an_hour(sms_outbox):
    """A work unit behind one connection during a campaign: 200 codes and 200 accounts from one address."""
    office = Client(REMOTE_ADDR="10.20.30.40")
    for i in range(200):
        response = register_via_form(office, f"1370000{i:04d}")
        assert response.status_code == 302, response.context["form"].errors if response.context else response
        office.logout()
    assert User.objects.filter(username__startswith="1370000").count() == 200
    assert len(sms_outbox) == 200
    assert VerificationCode.objects.filter(client_ip="10.20.30.40", used_at__isnull=False).count() == 200


def test_one_address_cannot_send_codes_without_bound(settings, sms_outbox):
    settings.VERIFICATION_CODES_PER_IP = {"hour": 3, "day": 10}
    client = Client(REMOTE_ADDR="10.0.0.77")
    for i in range(3):
        response = client.post(reverse("members:register"), {"mobile": f"1360000{i:04d}", "action": "send_code"})
        assert not response.context["form"].errors
    response = client.post(reverse("members:register"), {"mobile": "13600009999", "action": "send_code"})
    assert "当前网络获取验证码过于频繁" in " ".join(response.context["form"].errors["mobile"])
    assert len(sms_outbox) == 3
    other = Client(REMOTE_ADDR="10.0.0.78").post(reverse("members:register"), {"mobile": "13600009999", "action": "send_code"})
    assert not other.context["form"].errors


def test_guessing_codes_across_numbers_from_one_address_is_stopped(settings):
    settings.VERIFICATION_FAILURES_PER_IP_HOUR = 3
    for i in range(4):
        sms_code_send(mobile=f"1350000{i:04d}", purpose=Purpose.REGISTER, client_ip="10.0.0.5")
    for i in range(3):
        with pytest.raises(CodeRefused, match="不正确"):
            sms_code_verify(mobile=f"1350000{i:04d}", purpose=Purpose.REGISTER, code="000000", client_ip="10.0.0.5")
    right = sms_code_for("13500000003")
    with pytest.raises(CodeRefused, match="错误次数过多"):
        sms_code_verify(mobile="13500000003", purpose=Purpose.REGISTER, code=right, client_ip="10.0.0.5")
    sms_code_verify(mobile="13500000003", purpose=Purpose.REGISTER, code=right, client_ip="10.0.0.6")


def test_registration_with_a_wrong_code_creates_nothing_and_keeps_what_was_typed(client):
    url = reverse("members:register")
    client.post(url, {"mobile": "13800138108", "email": "keep@example.com", "action": "send_code"})
    code = sms_code_for("13800138108")
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(
        url,
        {"mobile": "13800138108", "code": wrong, "password": "Kexie-2026-ok", "password_confirm": "Kexie-2026-ok",
         "email": "keep@example.com"},
    )
    assert response.status_code == 200
    assert "验证码不正确" in " ".join(response.context["form"].errors["code"])
    body = response.content.decode()
    assert 'value="13800138108"' in body and 'value="keep@example.com"' in body
    assert "Kexie-2026-ok" not in body
    assert not User.objects.filter(username="13800138108").exists()


def test_asking_for_a_code_checks_only_the_number_and_keeps_the_rest(client):
    response = client.post(reverse("members:register"), {"mobile": "13800138109", "email": "keep@example.com", "action": "send_code"})
    assert response.status_code == 200
    assert not response.context["form"].errors
    body = response.content.decode()
    assert "验证码已发送至 138****8109" in body
    assert 'value="keep@example.com"' in body
    assert 'data-code-wait="60"' in body


@pytest.fixture
def member_client(make_applicant):
    person = make_applicant("孙八")
    client = Client()
    client.force_login(person.user)
    client.person = person
    return client


def test_changing_the_mobile_needs_a_code_to_the_new_number_and_the_password(member_client, make_user, sms_outbox):
    user = member_client.person.user
    old = user.mobile
    url = reverse("members:mobile_change")
    make_user("13700138888", mobile="13700138888")
    response = member_client.post(url, {"new_mobile": "13700138888", "action": "send_code"})
    assert "已绑定其他账号" in " ".join(response.context["form"].errors["new_mobile"])
    assert sms_outbox == []
    member_client.post(url, {"new_mobile": "13700139999", "action": "send_code"})
    assert sms_outbox[-1].mobile == "13700139999"
    code = sms_code_for("13700139999")
    response = member_client.post(url, {"new_mobile": "13700139999", "code": code, "password": "wrong-password"})
    assert "当前密码不正确" in " ".join(response.context["form"].errors["password"])
    response = member_client.post(url, {"new_mobile": "13700139999", "code": code, "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.mobile == user.username == "13700139999"
    assert Person.objects.get(user=user).mobile == "13700139999"
    from orgs.models import AuditEvent

    assert AuditEvent.objects.filter(action="user.mobile_change", object_id=str(user.pk)).exists()
    assert not User.objects.filter(mobile=old).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_for_one_number_send_one_code(sms_outbox):
    """Eight requests for one number at the same moment: the resend interval still lets one through."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(8)
    outcomes = []

    def request():
        try:
            barrier.wait()
            sms_code_send(mobile="13800138300", purpose=Purpose.REGISTER, client_ip="10.0.0.9")
            outcomes.append("sent")
        except CodeRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["sent"]
    assert VerificationCode.objects.filter(address="13800138300").count() == 1
    assert len(sms_outbox) == 1
