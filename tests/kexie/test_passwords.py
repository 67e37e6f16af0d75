"""The password policy: Chinese messages, and every way of setting a password follows it."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

User = get_user_model()


def _user():
    return User(username="13912345678", mobile="13912345678", full_name="张三丰", email="zhang@example.com")


@pytest.mark.parametrize(
    "password,message",
    [
        ("        ", "空格"),
        ("　　　　　　　　", "空格"),
        ("Ab1-", "至少需要 8 个字符"),
        ("Ab1-" * 40, "不能超过 128 个字符"),
        ("20260101", "全部是数字"),
        ("abcdefgh", "中的 2 类"),
        ("ABCDEFGHIJ", "中的 2 类"),
        ("x13912345678", "手机号码"),
        ("139-1234-5678a", "手机号码"),
        ("woaini1314", "过于常见"),
        ("Password1", "过于常见"),
        ("zhang@example.com", "过于相似"),
    ],
)
def test_a_weak_password_is_refused_in_chinese(password, message):
    with pytest.raises(ValidationError) as exc:
        validate_password(password, _user())
    assert any(message in m for m in exc.value.messages), exc.value.messages


@pytest.mark.parametrize("password", ["Kexie-demo-2026", "hebei#kx2026", "科协会员2026", "MyLongPassPhrase1"])
def test_a_reasonable_password_is_accepted(password):
    validate_password(password, _user())


def test_the_help_texts_are_chinese():
    texts = password_validators_help_texts()
    assert texts and all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts)


@pytest.mark.django_db
def test_an_account_form_refuses_a_password_of_spaces(client, city_admin, county_a):
    client.force_login(city_admin)
    response = client.post(
        reverse("orgs:account_create"),
        {"org": county_a.pk, "username": "spaces_only", "full_name": "空格", "password": " " * 10},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="spaces_only").exists()
    assert "只由空格组成" in response.content.decode()
