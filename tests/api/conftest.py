"""API test helpers: a JSON client without cookies (bearer tokens only), a recording client for the contract
tests, and a fresh cache per test so throttle counters and idempotency keys never leak between tests."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


class Recorder:
    """An API client that keeps every response body, to search them all for the full ID number."""

    def __init__(self):
        self.client = APIClient()
        self.bodies: list[bytes] = []

    def call(self, method, url, token=None, expect=200, **kwargs):
        headers = bearer(token) if token else {}
        headers.update(kwargs.pop("headers", {}))
        response = getattr(self.client, method)(url, **kwargs, **headers)
        self.bodies.append(response.content)
        assert response.status_code == expect, (method, url, response.status_code, response.content[:500])
        return response
