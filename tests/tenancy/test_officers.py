"""三员: the system, security and audit officers reach their own pages and nothing about people.

tests/tenancy/test_matrix.py runs every org-scoped URL for the three officers (they are in ALL_ACTORS and in no
READERS or MANAGERS set); this file covers the console URLs that take no argument (lists, forms, exports).
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.tenancy.base import OFFICERS

# Every console user's own second factor (等保: the officers are administrators too).
OWN_ACCOUNT = {"orgs:two_factor", "orgs:two_factor_setup", "orgs:two_factor_verify", "orgs:two_factor_codes_regenerate"}
# The argument-free console pages each officer may open; every other one answers 404.
OWN_PAGES = {
    "system_officer": {"orgs:system_org_list"} | OWN_ACCOUNT,
    "security_officer": {"orgs:account_list", "orgs:account_create", "orgs:officer_create"} | OWN_ACCOUNT,
    "audit_officer": {"orgs:audit_list", "orgs:audit_verify"} | OWN_ACCOUNT,
}


def _console_urls_without_arguments(resolver=None, prefix="", route=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _console_urls_without_arguments(pattern, ns, route + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.converters:
            full = route + str(pattern.pattern)
            if full.startswith("console/"):
                yield f"{prefix}{pattern.name}"


CONSOLE_URLS = sorted(set(_console_urls_without_arguments()))


def test_the_scan_finds_the_console_lists():
    assert {"approvals:queue", "console_members:member_list", "orgs:account_list", "orgs:dashboard"} <= set(
        CONSOLE_URLS
    )


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", CONSOLE_URLS)
@pytest.mark.parametrize("officer", OFFICERS)
def test_an_officer_reaches_only_its_own_console_pages(client, request, officer, url_name):
    """None of the three officers sees a list, export or count of people or applications: 404, as for a
    missing page; their own pages open."""
    client.force_login(request.getfixturevalue(officer))
    response = client.get(reverse(url_name))
    if url_name in OWN_PAGES[officer]:
        # A page opens (200) or sends the officer on (302); a POST-only one refuses the GET (405).
        assert response.status_code in (200, 302, 405), f"{officer} should reach {url_name}"
    else:
        assert response.status_code == 404, f"{officer} got {response.status_code} at {url_name}"
