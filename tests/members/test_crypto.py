from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from members.crypto import (
    InvalidToken,
    decrypt_id_number,
    encrypt_id_number,
    id_number_blind_index,
    rotate_id_number_token,
)

ID_A = "11010519491231002X"
ID_B = "130102198001011235"


@pytest.fixture
def keys(settings):
    settings.ID_NUMBER_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.ID_NUMBER_INDEX_KEY = "test-index-key"
    return settings


def test_round_trip(keys):
    token = encrypt_id_number(ID_A)
    assert isinstance(token, str)
    assert decrypt_id_number(token) == ID_A


def test_encrypts_normalized_value(keys):
    assert decrypt_id_number(encrypt_id_number(" 110105 19491231002x ")) == ID_A


def test_ciphertext_does_not_contain_plaintext(keys):
    token = encrypt_id_number(ID_A)
    assert ID_A not in token
    assert ID_A[6:14] not in token
    assert ID_A.encode() not in token.encode()


def test_encryption_is_randomised(keys):
    # Equal plaintexts must not yield equal tokens, or the column itself leaks duplicates.
    assert encrypt_id_number(ID_A) != encrypt_id_number(ID_A)


def test_keys_are_read_at_call_time(keys):
    token = encrypt_id_number(ID_A)
    keys.ID_NUMBER_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(InvalidToken):
        decrypt_id_number(token)


def test_key_rotation(keys):
    old_key = keys.ID_NUMBER_ENCRYPTION_KEYS[0]
    old_token = encrypt_id_number(ID_A)

    new_key = Fernet.generate_key().decode()
    keys.ID_NUMBER_ENCRYPTION_KEYS = [new_key, old_key]
    assert decrypt_id_number(old_token) == ID_A
    new_token = rotate_id_number_token(old_token)
    assert decrypt_id_number(new_token) == ID_A

    keys.ID_NUMBER_ENCRYPTION_KEYS = [new_key]
    assert decrypt_id_number(new_token) == ID_A
    with pytest.raises(InvalidToken):
        decrypt_id_number(old_token)


def test_comma_separated_key_string_accepted(keys):
    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys.ID_NUMBER_ENCRYPTION_KEYS = f"{k1}, {k2}"
    token = encrypt_id_number(ID_A)
    assert Fernet(k1).decrypt(token.encode()).decode() == ID_A


def test_tampered_token_rejected(keys):
    token = encrypt_id_number(ID_A)
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(InvalidToken):
        decrypt_id_number(tampered)


@pytest.mark.parametrize("bad", [[], None, "", ["not-a-fernet-key"]])
def test_missing_or_invalid_keys(settings, bad):
    settings.ID_NUMBER_ENCRYPTION_KEYS = bad
    with pytest.raises(ImproperlyConfigured) as excinfo:
        encrypt_id_number(ID_A)
    assert "not-a-fernet-key" not in str(excinfo.value)


def test_blind_index_stable_and_distinct(keys):
    first = id_number_blind_index(ID_A)
    assert first == id_number_blind_index(ID_A)
    assert len(first) == 64 and int(first, 16) >= 0
    assert first != id_number_blind_index(ID_B)
    assert ID_A not in first


def test_blind_index_normalizes(keys):
    assert id_number_blind_index("11010519491231002x") == id_number_blind_index(f" {ID_A} ")


def test_blind_index_depends_on_key(keys):
    first = id_number_blind_index(ID_A)
    keys.ID_NUMBER_INDEX_KEY = "another-key"
    assert id_number_blind_index(ID_A) != first


def test_blind_index_requires_key(settings):
    settings.ID_NUMBER_INDEX_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        id_number_blind_index(ID_A)


def test_the_batch_helpers_agree_with_the_single_value_functions():
    from members.crypto import (
        decrypt_id_number,
        encrypt_id_numbers,
        id_number_blind_index,
        id_number_blind_indexes,
    )

    values = ["11010519491231002X", "110105194912310021"]
    assert id_number_blind_indexes(values) == [id_number_blind_index(v) for v in values]
    assert [decrypt_id_number(t) for t in encrypt_id_numbers(values)] == values
