"""Error pages are Chinese pages of the site: 400, 403 (including an expired form), 404 and 500."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, override_settings
from django.urls import path

from kexie.urls import urlpatterns as site_urls


def _forbidden(request):
    raise PermissionDenied


def _bad(request):
    raise SuspiciousOperation("tampered")


def _broken(request):
    raise RuntimeError("boom")


# The site's own URLs as well: the error pages link to the home and login pages by name.
urlpatterns = [path("forbidden/", _forbidden), path("bad/", _bad), path("broken/", _broken), *site_urls]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    "url, status, heading",
    [
        ("/forbidden/", 403, "没有权限"),
        ("/bad/", 400, "请求有误"),
        ("/nowhere/", 404, "页面不存在"),
        ("/broken/", 500, "系统暂时出现问题"),
    ],
)
def test_error_pages_are_chinese_and_carry_the_site_header(url, status, heading):
    response = Client(raise_request_exception=False).get(url)
    body = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}" in body
    assert "科协个人会员系统" in body and 'rel="icon"' in body
    assert "Traceback" not in body and "Not Found" not in body and "Server Error" not in body


@pytest.mark.django_db
def test_an_expired_form_says_so_in_chinese():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期，请重新提交" in body and "CSRF" not in body
