from __future__ import annotations

import dataclasses
import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from kexie.validators import (
    USCC_ALPHABET,
    UsccResult,
    id_number_birth_date,
    id_number_check_digit,
    id_number_gender,
    mask_id_number,
    normalize_id_number,
    normalize_mobile,
    uscc_check_char,
    uscc_checksum_ok,
    uscc_format_ok,
    validate_id_number,
    validate_mobile,
    validate_upload,
    validate_uscc,
)

# Fixed so the "future date" cases do not depend on the wall clock.
TODAY = date(2025, 6, 15)

VALID_ID = "11010519491231002X"  # sample from GB 11643-1999
VALID_USCCS = ["91110000600037341L", "91110108551385082Q"]

DIGITS = "0123456789"
ID_CHECK_CHARS = "0123456789X"


def make_id(area: str, birth: str, seq: str) -> str:
    first17 = area + birth + seq
    return first17 + id_number_check_digit(first17)


def error_code(fn, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as excinfo:
        fn(*args, **kwargs)
    return excinfo.value.code


# ---------------------------------------------------------------------------
# Mobile
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138-0013-8000",
        "138 0013 8000",
        "138-0013-8000",
        "(+86) 138 0013 8000",
        "0086 13800138000",
        "8613800138000",
        "+8613800138000",
        "１３８００１３８０００",  # full-width digits from a Chinese IME
        " 13800138000\u3000",
    ],
)
def test_validate_mobile_accepts_and_normalizes(raw):
    assert validate_mobile(raw) == "13800138000"


@pytest.mark.parametrize(
    "raw",
    [
        "12800138000",  # second digit must be 3-9
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "23800138000",
        "+1 138 0013 8000",
        "86 1380013800",  # prefix stripped only when 11 digits remain
        "1380013800a",
        "",
        "١٣٨٠٠١٣٨٠٠٠",  # Arabic-Indic digits: isdigit() but not a phone number
    ],
)
def test_validate_mobile_rejects(raw):
    with pytest.raises(ValidationError) as excinfo:
        validate_mobile(raw)
    assert excinfo.value.code == "invalid_mobile"
    assert "手机号码" in excinfo.value.messages[0]


def test_validate_mobile_rejects_non_string():
    assert error_code(validate_mobile, None) == "invalid_mobile"


def test_normalize_mobile_keeps_bare_number_starting_with_86():
    # "86" must not be treated as a country code when that would leave 9 digits.
    assert normalize_mobile("86123456789") == "86123456789"


@given(st.one_of(st.text(), st.text(alphabet="0123456789+-() 86\u3000（）＋")))
def test_normalize_mobile_is_idempotent(raw):
    once = normalize_mobile(raw)
    assert normalize_mobile(once) == once


@given(st.text(alphabet=DIGITS, min_size=9, max_size=9), st.sampled_from("3456789"))
def test_validated_mobile_round_trips(tail, second):
    number = "1" + second + tail
    formatted = f"+86 {number[:3]}-{number[3:7]}-{number[7:]}"
    assert validate_mobile(formatted) == number


# ---------------------------------------------------------------------------
# ID number
# ---------------------------------------------------------------------------


def test_known_valid_id_number():
    assert validate_id_number(VALID_ID, today=TODAY) == VALID_ID
    assert id_number_check_digit(VALID_ID[:17]) == "X"


def test_lowercase_x_and_spaces_accepted():
    assert validate_id_number(" 110105 19491231 002x ", today=TODAY) == VALID_ID
    assert normalize_id_number("11010519491231002x") == VALID_ID


def test_validate_id_number_uses_real_clock_by_default():
    assert validate_id_number(VALID_ID) == VALID_ID


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "11010519491231002",  # 17
        "11010519491231002X1",  # 19
        "110105194912310",  # legacy 15-digit card
        "1101051949123100XX",
        "X10105194912310020",
        "11010519491231002Y",
        "11010519491231002*",
        "１１０１０５１９４９１２３１００２Ｘ"[:-1] + "Y",
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢٠",  # non-ASCII digits
    ],
)
def test_id_number_bad_format(raw):
    with pytest.raises(ValidationError) as excinfo:
        validate_id_number(raw, today=TODAY)
    assert excinfo.value.code == "invalid_id_number_format"
    assert excinfo.value.messages == ["身份证号码应为18位，最后一位可以是数字或X"]


def test_fullwidth_id_number_accepted():
    assert validate_id_number("１１０１０５１９４９１２３１００２ｘ", today=TODAY) == VALID_ID


@pytest.mark.parametrize(
    "birth",
    [
        "19000231",  # no 31 February
        "19490230",
        "19491301",
        "19490000",
        "19491232",
        "20230229",  # 2023 is not a leap year
        "19000229",  # 1900 is not a leap year either
        "18991231",  # before 1900
        "20250616",  # the day after TODAY
        "20990101",
    ],
)
def test_id_number_bad_birth_date(birth):
    # A correct check digit ensures the date check, not the checksum, is what fails.
    id_number = make_id("110105", birth, "002")
    with pytest.raises(ValidationError) as excinfo:
        validate_id_number(id_number, today=TODAY)
    assert excinfo.value.code == "invalid_id_number_birth_date"
    assert excinfo.value.messages == ["身份证号码中的出生日期无效"]


def test_gb_sample_from_1880_rejected_by_year_floor():
    # Second sample in GB 11643-1999: checksum is right, year 1880 is below our floor.
    assert id_number_check_digit("44052418800101001") == "4"
    assert error_code(validate_id_number, "440524188001010014", today=TODAY) == (
        "invalid_id_number_birth_date"
    )


@pytest.mark.parametrize("birth", ["19000101", "20000229", "20250615"])
def test_id_number_boundary_dates_accepted(birth):
    id_number = make_id("320102", birth, "123")
    assert validate_id_number(id_number, today=TODAY) == id_number


@pytest.mark.parametrize(
    "raw",
    [
        "110105194912310020",  # X → 0
        "110105194912310021",
        "11010519491231003X",  # sequence digit changed
        "21010519491231002X",  # area digit changed
        "11010519491231012X",
    ],
)
def test_id_number_bad_check_digit(raw):
    with pytest.raises(ValidationError) as excinfo:
        validate_id_number(raw, today=TODAY)
    assert excinfo.value.code == "invalid_id_number_checksum"
    assert excinfo.value.messages == ["身份证号码校验位不正确，请核对"]


@pytest.mark.parametrize("bad", ["", "1234", "1101051949123100X", "abcdefghijklmnopq"])
def test_id_number_check_digit_rejects_bad_prefix(bad):
    with pytest.raises(ValueError):
        id_number_check_digit(bad)


def test_birth_date_and_gender():
    assert id_number_birth_date(VALID_ID) == date(1949, 12, 31)
    assert id_number_gender(VALID_ID) == "female"  # 17th digit 2
    male = make_id("130102", "19800101", "123")
    assert id_number_gender(male) == "male"
    assert id_number_birth_date(male.lower()) == date(1980, 1, 1)


def test_birth_date_rejects_impossible_date():
    with pytest.raises(ValueError):
        id_number_birth_date("110105190002310020")
    with pytest.raises(ValueError):
        id_number_birth_date("too short")
    with pytest.raises(ValueError):
        id_number_gender("too short")


def test_mask_id_number():
    assert mask_id_number("13010219800101123X") == "130102********123X"
    assert mask_id_number("13010219800101123x") == "130102********123X"
    assert mask_id_number("") == ""
    assert mask_id_number("12345") == "********"


birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
id_prefixes = st.builds(
    lambda area, birth, seq: area + birth.strftime("%Y%m%d") + seq,
    st.text(alphabet=DIGITS, min_size=6, max_size=6),
    birth_dates,
    st.text(alphabet=DIGITS, min_size=3, max_size=3),
)


@given(id_prefixes)
def test_appending_check_digit_always_validates(first17):
    id_number = first17 + id_number_check_digit(first17)
    assert validate_id_number(id_number, today=TODAY) == id_number
    assert validate_id_number(id_number.lower(), today=TODAY) == id_number
    assert id_number_birth_date(id_number).strftime("%Y%m%d") == first17[6:14]


@given(id_prefixes, st.data())
def test_any_other_check_character_fails(first17, data):
    correct = id_number_check_digit(first17)
    wrong = data.draw(st.sampled_from([c for c in ID_CHECK_CHARS if c != correct]))
    assert error_code(validate_id_number, first17 + wrong, today=TODAY) == (
        "invalid_id_number_checksum"
    )


@given(id_prefixes, st.integers(min_value=1, max_value=3650))
def test_future_birth_dates_fail(first17, days):
    future = TODAY + timedelta(days=days)
    first17 = first17[:6] + future.strftime("%Y%m%d") + first17[14:]
    id_number = first17 + id_number_check_digit(first17)
    assert error_code(validate_id_number, id_number, today=TODAY) == (
        "invalid_id_number_birth_date"
    )


@given(st.text(alphabet=ID_CHECK_CHARS, min_size=18, max_size=18))
def test_mask_never_reveals_middle_eight(id_number):
    masked = mask_id_number(id_number)
    assert id_number[6:14] not in masked
    assert masked == id_number[:6] + "*" * 8 + id_number[14:]


# ---------------------------------------------------------------------------
# Unified social credit code
# ---------------------------------------------------------------------------


def test_uscc_alphabet_excludes_ambiguous_letters():
    assert len(USCC_ALPHABET) == 31
    assert not set("IOZSV") & set(USCC_ALPHABET)


@pytest.mark.parametrize("code", VALID_USCCS)
def test_known_valid_uscc(code):
    assert uscc_format_ok(code)
    assert uscc_checksum_ok(code)
    assert uscc_check_char(code[:17]) == code[17]
    assert validate_uscc(code) == UsccResult(code=code, checksum_ok=True)


def test_validate_uscc_normalizes_case_and_spaces():
    assert validate_uscc(" 9111 0000 6000 3734 1l ") == UsccResult("91110000600037341L", True)


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341M",  # last char changed
        "91110000600037342L",  # body changed
        "81110108551385082Q",
    ],
)
def test_uscc_bad_checksum_is_a_warning_not_an_error(code):
    assert uscc_format_ok(code)
    assert not uscc_checksum_ok(code)
    assert validate_uscc(code) == UsccResult(code=code, checksum_ok=False)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "91110000600037341",  # 17
        "91110000600037341LL",  # 19
        "9111000060003734IL",  # I not in alphabet
        "9111000060003734OL",
        "9111000060003734ZL",
        "9111000060003734SL",
        "9111000060003734VL",
        "91110000-600037341L",
        "91110000600037341Ｌ"[:-1] + "#",
    ],
)
def test_uscc_bad_format_raises(code):
    assert not uscc_checksum_ok(code)
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc(code)
    assert excinfo.value.code == "invalid_uscc_format"
    assert "统一社会信用代码" in excinfo.value.messages[0]


def test_uscc_format_ok_is_case_sensitive():
    assert not uscc_format_ok("91110000600037341l")


def test_uscc_result_is_frozen():
    result = validate_uscc(VALID_USCCS[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.code = "x"  # type: ignore[misc]


def test_uscc_check_char_rejects_bad_prefix():
    with pytest.raises(ValueError):
        uscc_check_char("9111000060003734I")
    with pytest.raises(ValueError):
        uscc_check_char("911")


uscc_prefixes = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


@given(uscc_prefixes)
def test_appending_uscc_check_char_passes(first17):
    code = first17 + uscc_check_char(first17)
    assert uscc_checksum_ok(code)
    assert validate_uscc(code.lower()) == UsccResult(code, True)


@given(uscc_prefixes, st.data())
def test_any_other_uscc_last_char_fails(first17, data):
    correct = uscc_check_char(first17)
    wrong = data.draw(st.sampled_from([c for c in USCC_ALPHABET if c != correct]))
    assert not uscc_checksum_ok(first17 + wrong)
    assert validate_uscc(first17 + wrong).checksum_ok is False


# ---------------------------------------------------------------------------
# Uploads
# ---------------------------------------------------------------------------

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
FIVE_MB = 5 * 1024 * 1024


def image_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


PNG_BYTES = image_bytes("PNG")
JPEG_BYTES = image_bytes("JPEG")


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def upload_error(f) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(f)
    assert f.tell() == 0
    return excinfo.value


@pytest.mark.parametrize(
    "name, content, kind",
    [
        ("证明.pdf", MINIMAL_PDF, "pdf"),
        ("SCAN.PDF", MINIMAL_PDF, "pdf"),
        ("photo.png", PNG_BYTES, "png"),
        ("photo.PNG", PNG_BYTES, "png"),
        ("photo.jpg", JPEG_BYTES, "jpeg"),
        ("photo.JPEG", JPEG_BYTES, "jpeg"),
    ],
)
def test_upload_accepted(name, content, kind):
    f = upload(name, content)
    f.read(3)  # position must not matter on the way in
    assert validate_upload(f) == kind
    assert f.tell() == 0
    assert f.read() == content


@pytest.mark.parametrize(
    "name, content",
    [
        ("setup.exe", EXE_BYTES),
        ("photo.gif", b"GIF89a" + b"\x00" * 20),
        ("doc.docx", b"PK\x03\x04" + b"\x00" * 20),
        ("noextension", MINIMAL_PDF),
        ("pdf", MINIMAL_PDF),
        ("evidence.pdf.exe", MINIMAL_PDF),
    ],
)
def test_upload_unsupported_extension(name, content):
    err = upload_error(upload(name, content))
    assert err.code == "unsupported_file_type"
    assert err.messages == ["仅支持 PDF、JPG、PNG 格式的文件"]


@pytest.mark.parametrize(
    "name, content",
    [
        ("invoice.pdf", EXE_BYTES),  # executable renamed to .pdf
        ("scan.pdf", PNG_BYTES),  # real PNG, wrong extension
        ("scan.png", JPEG_BYTES),
        ("scan.jpg", PNG_BYTES),
        ("scan.jpg", MINIMAL_PDF),
        ("empty.pdf", b""),
        ("broken.png", PNG_BYTES[: len(PNG_BYTES) // 2]),  # truncated
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10),
        ("broken.jpg", b"\xff\xd8\xff" + b"garbage" * 10),
    ],
)
def test_upload_content_mismatch_or_corrupt(name, content):
    err = upload_error(upload(name, content))
    assert err.code == "file_content_mismatch"
    assert err.messages == ["文件内容与扩展名不符或文件已损坏"]


def test_upload_too_large():
    err = upload_error(upload("big.pdf", MINIMAL_PDF + b"0" * FIVE_MB))
    assert err.code == "file_too_large"
    assert err.messages == ["文件大小不能超过 5 MB"]


def test_upload_exactly_at_limit_is_accepted():
    content = MINIMAL_PDF + b"0" * (FIVE_MB - len(MINIMAL_PDF))
    assert len(content) == FIVE_MB
    assert validate_upload(upload("big.pdf", content)) == "pdf"


def test_upload_custom_limit():
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("a.png", PNG_BYTES), max_bytes=10)
    assert excinfo.value.code == "file_too_large"
    assert validate_upload(upload("a.png", PNG_BYTES), max_bytes=len(PNG_BYTES)) == "png"
