"""Fernet key rings named by a setting: the first key encrypts, every key decrypts, so keys can rotate.

Keys are read from settings on every call rather than at import so that tests can override them and a
missing key fails the request that needs it, not the whole process at start-up. Users: the ID numbers of
people (members.crypto) and the signing secrets of webhook endpoints (orgs.services.webhooks).
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "key_ring", "encrypt_text", "decrypt_text"]


def key_ring(setting: str) -> MultiFernet:
    """The MultiFernet of the keys in `setting` (a list, or one comma-separated string from the environment)."""
    keys = getattr(settings, setting, None)
    if isinstance(keys, bytes):
        keys = keys.decode("ascii")
    if isinstance(keys, str):
        keys = keys.split(",")
    keys = [k.strip() for k in (keys or []) if k and k.strip()]
    if not keys:
        raise ImproperlyConfigured(f"{setting} must contain at least one Fernet key")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except (ValueError, TypeError):
        # "from None": the original exception text could echo key material into logs.
        raise ImproperlyConfigured(
            f"{setting} contains an invalid Fernet key (expected 32 url-safe base64-encoded bytes)"
        ) from None


def encrypt_text(value: str, *, setting: str) -> str:
    return key_ring(setting).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: str, *, setting: str) -> str:
    """Raises InvalidToken when the token is corrupt or its key is no longer configured."""
    return key_ring(setting).decrypt(token.encode("utf-8")).decode("utf-8")
