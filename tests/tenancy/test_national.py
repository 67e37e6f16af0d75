"""The tenancy matrix again with Hebei under a national root beside a second province (Shanxi): the national
administrator reaches whatever the provincial administrator reaches, Hebei's administrator still reaches it
(except the root's own targets, which belong to the national root now), and Shanxi's administrator reaches none
of it (404, as for any other subtree)."""

import pytest

from tests.tenancy.test_matrix import SCOPED, matrix_context  # noqa: F401 - the matrix's fixture, reused

ACTORS = ("national_admin", "province_admin", "shanxi_admin")


@pytest.fixture(autouse=True)
def _national_first(national):
    """Move Hebei under the national root before the matrix's orgs and objects are fetched."""
    return national


@pytest.mark.django_db
@pytest.mark.parametrize("case", SCOPED, ids=lambda c: c.url_name)
@pytest.mark.parametrize("actor", ACTORS)
def test_scoped_url_under_a_national_root(client, matrix_context, national_admin, shanxi_admin, case, actor):
    matrix_context.update(national_admin=national_admin, shanxi_admin=shanxi_admin)
    url, data = case.build(matrix_context)
    client.force_login(matrix_context[actor])
    response = client.get(url) if data is None else client.post(url, data)
    if case.note == "province's own":
        # The case's org is the root, now the national one: only its own administrator sets its targets.
        allowed = {"national_admin"}
    else:
        allowed = {"national_admin", "province_admin"} if "province_admin" in case.allowed else set()
    if actor in allowed:
        assert response.status_code != 404, f"{actor} should reach {url}"
        assert response.status_code < 500
    else:
        assert response.status_code == 404, f"{actor} got {response.status_code} at {url}; expected 404"
