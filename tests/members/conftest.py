import io

import pytest
from django.core.cache import cache

from tests.conftest import valid_id_number


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache; each test starts with none used."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def consented(db):
    from members.services import consent_give

    def give(user):
        return consent_give(user=user)

    return give


@pytest.fixture
def applicant(make_applicant, consented):
    """A signed-up applicant with consent, a complete profile and a provincial award."""
    person = make_applicant("李四")
    consented(person.user)
    return person


@pytest.fixture
def applicant_client(client, applicant):
    client.force_login(applicant.user)
    return client


def png_bytes(size=(4, 4)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def known_id(person) -> str:
    """The plain ID number make_applicant gave this person (recovered for assertions only)."""
    from members.crypto import decrypt_id_number

    return decrypt_id_number(person.id_number_encrypted)


__all__ = ["png_bytes", "known_id", "valid_id_number"]
