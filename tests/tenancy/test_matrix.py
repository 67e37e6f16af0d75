"""Every org-scoped URL answers 404 outside the actor's subtree; every URL of the project is classified."""

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

import tests.tenancy as tenancy_pkg
from tests.tenancy.base import ALL_ACTORS


def _matrix_modules():
    for info in pkgutil.iter_modules(tenancy_pkg.__path__):
        if info.name.startswith("matrix_"):
            yield importlib.import_module(f"tests.tenancy.{info.name}")


SCOPED = [case for m in _matrix_modules() for case in m.SCOPED]
UNSCOPED = {name: why for m in _matrix_modules() for name, why in m.UNSCOPED.items()}


def _project_url_names(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # Django admin: superusers only, guarded by Django itself
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _project_url_names(pattern, ns)
        elif isinstance(pattern, URLPattern):
            yield f"{prefix}{pattern.name}" if pattern.name else f"{prefix}<unnamed {pattern.pattern}>"


def test_every_url_is_in_the_tenancy_matrix():
    """Adding a URL without classifying it here fails: new pages cannot skip the scope review."""
    classified = {c.url_name for c in SCOPED} | set(UNSCOPED)
    missing = sorted(set(_project_url_names()) - classified)
    assert not missing, f"URL patterns missing from tests/tenancy/matrix_*.py: {missing}"
    stale = sorted(classified - set(_project_url_names()))
    assert not stale, f"matrix names URLs that no longer exist: {stale}"


@pytest.fixture
def matrix_context(
    county_a, county_b, city, admin_a, admin_b, city_admin, other_city_admin, province_admin, staff, make_applicant,
    make_admin, system_officer, security_officer, audit_officer, request,
):
    applicant = make_applicant("王五")
    ctx = {
        "county_a": county_a,
        "county_b": county_b,
        "city": city,
        "admin_a": admin_a,
        "admin_b": admin_b,
        "city_admin": city_admin,
        "other_city_admin": other_city_admin,
        "province_admin": province_admin,
        "staff": staff,
        "applicant": applicant.user,
        "applicant_person": applicant,
        "county_a_admin2": make_admin(county_a, "county_a_second_admin"),
        "system_officer": system_officer,
        "security_officer": security_officer,
        "audit_officer": audit_officer,
    }
    for module in _matrix_modules():
        extend = getattr(module, "extend_context", None)
        if extend:
            extend(ctx, request)
    return ctx


@pytest.mark.django_db
@pytest.mark.parametrize("case", SCOPED, ids=lambda c: c.url_name)
@pytest.mark.parametrize("actor", ALL_ACTORS)
def test_scoped_url_is_404_outside_the_subtree(client, matrix_context, case, actor):
    url, data = case.build(matrix_context)
    client.force_login(matrix_context[actor])
    response = client.get(url) if data is None else client.post(url, data)
    if actor in case.allowed:
        assert response.status_code != 404, f"{actor} should reach {url}"
        assert response.status_code < 500
    else:
        assert response.status_code == 404, f"{actor} got {response.status_code} at {url}; expected 404"
