"""Encryption at rest for resident ID numbers.

ID numbers are personal information under the PIPL, so the database stores a
Fernet token (reversible, for authorised display/export) plus an HMAC "blind
index" (irreversible, for equality lookups and duplicate detection), never the
plaintext.

The Fernet key ring is kexie.crypto's, named by ID_NUMBER_ENCRYPTION_KEYS.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kexie.crypto import InvalidToken, key_ring
from kexie.validators import normalize_id_number

__all__ = [
    "InvalidToken",
    "encrypt_id_number",
    "encrypt_id_numbers",
    "decrypt_id_number",
    "rotate_id_number_token",
    "id_number_blind_index",
    "id_number_blind_indexes",
]


def _fernet() -> MultiFernet:
    return key_ring("ID_NUMBER_ENCRYPTION_KEYS")


def encrypt_id_number(value: str) -> str:
    """Encrypt the normalised ID number with the first configured key."""
    return _fernet().encrypt(normalize_id_number(value).encode("utf-8")).decode("ascii")


def encrypt_id_numbers(values: list[str]) -> list[str]:
    """`encrypt_id_number` for many values, reading the keys once (bulk imports and generated data)."""
    fernet = _fernet()
    return [fernet.encrypt(normalize_id_number(v).encode("utf-8")).decode("ascii") for v in values]


def decrypt_id_number(token: str) -> str:
    """Decrypt a token produced with any configured key.

    Raises :class:`cryptography.fernet.InvalidToken` (re-exported here) if the
    token is corrupt or was encrypted with a key no longer configured.
    """
    return _fernet().decrypt(token.encode("utf-8")).decode("utf-8")


def rotate_id_number_token(token: str) -> str:
    """Re-encrypt a token under the current first key, for key-rotation jobs."""
    return _fernet().rotate(token.encode("utf-8")).decode("ascii")


def id_number_blind_index(value: str) -> str:
    """HMAC-SHA256 (hex) of the normalised ID number, keyed by ``ID_NUMBER_INDEX_KEY``.

    A keyed HMAC rather than a plain hash: the ID-number space is small enough
    (birth dates × region codes × 1000) to brute-force an unkeyed digest.
    """
    return id_number_blind_indexes([value])[0]


def id_number_blind_indexes(values: list[str]) -> list[str]:
    """`id_number_blind_index` for many values, reading the key once."""
    key = getattr(settings, "ID_NUMBER_INDEX_KEY", None)
    if not key:
        raise ImproperlyConfigured("ID_NUMBER_INDEX_KEY must be set")
    keyed = hmac.new(key.encode("utf-8") if isinstance(key, str) else bytes(key), digestmod=hashlib.sha256)
    out = []
    for value in values:
        mac = keyed.copy()
        mac.update(normalize_id_number(value).encode("utf-8"))
        out.append(mac.hexdigest())
    return out
