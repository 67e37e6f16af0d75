"""Both login entrances validate the username before anything is looked up or recorded."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["login", "admin:login"])
@pytest.mark.parametrize("username", ["A" * 100_000, "a\x00b"])
def test_a_username_no_account_can_have_is_refused_before_authentication(client, url_name, username):
    from axes.models import AccessAttempt

    response = client.post(reverse(url_name), {"username": username, "password": "Whatever-2026"})
    assert response.status_code == 200
    assert not AccessAttempt.objects.exists(), "the attempt reached authenticate() and django-axes"
    assert response.context["form"].errors


@pytest.mark.django_db
def test_a_huge_password_is_refused_unhashed(client, make_user):
    make_user("someone")
    response = client.post(reverse("login"), {"username": "someone", "password": "x" * 5000})
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
