"""Redirect targets from a request are used only when they are paths on this site."""

import pytest
from django.test import RequestFactory

from kexie.redirects import is_safe_path, next_url

SAFE = ["/me/profile/", "/me/profile/?tab=awards#x", "/console/review/12/", "/中文/"]
UNSAFE = [
    "", "profile", "674", "-1", "=1+1", "http://evil.example/", "https://testserver/me/", "//evil.example/",
    "/\\evil.example", "\\\\evil.example", "javascript:alert(1)", " /me/", "/me/\x00", "/me/\r\nX: y", "/ok\ufffd",
    "http://[", "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", SAFE)
def test_a_path_on_this_site_is_kept(target):
    request = RequestFactory().get("/", {"next": target})
    assert is_safe_path(target, request)
    assert next_url(request, "/default/") == target


@pytest.mark.parametrize("target", UNSAFE)
def test_anything_else_falls_back_to_the_default(target):
    request = RequestFactory().post("/", {"next": target})
    assert next_url(request, "/default/") == "/default/"


def test_encoded_control_characters_stay_encoded_and_harmless():
    """A percent-encoded CR LF is part of the path, not a header break: Django sends it encoded."""
    request = RequestFactory().get("/")
    assert is_safe_path("/%0d%0a", request)


def test_post_wins_over_the_query_string():
    request = RequestFactory().post("/?next=/from-query/", {"next": "/from-post/"})
    assert next_url(request, "") == "/from-post/"


def test_a_list_url_keeps_its_filters_unless_too_long_to_redirect_to():
    from django.http import QueryDict

    from kexie.redirects import MAX_TARGET_LENGTH, url_with_query

    assert url_with_query("/list/", QueryDict("q=张&page=2")) == "/list/?q=%E5%BC%A0&page=2"
    assert url_with_query("/list/", QueryDict("")) == "/list/"
    huge = QueryDict(mutable=True)
    huge["q"] = "A" * MAX_TARGET_LENGTH
    assert url_with_query("/list/", huge) == "/list/"
