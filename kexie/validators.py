"""Validators for identity data entered by members and organisations.

Everything here is a plain function over strings/files so it can be shared by
forms, model ``clean()`` methods, bulk Excel imports and management commands
without pulling in models.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "normalize_mobile",
    "validate_mobile",
    "normalize_id_number",
    "id_number_check_digit",
    "validate_id_number",
    "id_number_birth_date",
    "id_number_gender",
    "mask_id_number",
    "USCC_ALPHABET",
    "UsccResult",
    "uscc_check_char",
    "uscc_format_ok",
    "uscc_checksum_ok",
    "validate_uscc",
    "USCC_CHECKSUM_WARNING",
    "validate_upload",
]

# Users type on Chinese IMEs, which readily produce full-width digits,
# punctuation and the ideographic space; fold them to ASCII before matching.
_FULLWIDTH = {0xFF10 + i: ord("0") + i for i in range(10)}
_FULLWIDTH.update(
    {
        0xFF0B: ord("+"),  # ＋
        0xFF0D: ord("-"),  # －
        0xFF08: ord("("),  # （
        0xFF09: ord(")"),  # ）
        0xFF38: ord("X"),  # Ｘ
        0xFF58: ord("x"),  # ｘ
        0x3000: ord(" "),  # ideographic space
    }
)


def _fold_fullwidth(raw: str) -> str:
    return raw.translate(_FULLWIDTH)


def _strip_whitespace(value: str) -> str:
    return "".join(ch for ch in value if not ch.isspace())


# ---------------------------------------------------------------------------
# Mobile numbers
# ---------------------------------------------------------------------------

# [0-9] rather than \d: \d would also accept Arabic-Indic and other Unicode digits.
_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
_MOBILE_SEPARATORS = str.maketrans("", "", "-()")
_COUNTRY_PREFIXES = ("+86", "0086", "86")

MOBILE_MESSAGE = _("请输入有效的中国大陆手机号码（11位，以1开头）")


def normalize_mobile(raw: str) -> str:
    """Return ``raw`` without separators and without a +86/0086/86 prefix.

    The result is not guaranteed to be a valid number; use
    :func:`validate_mobile` for that.  Idempotent.
    """
    value = _strip_whitespace(_fold_fullwidth(raw)).translate(_MOBILE_SEPARATORS)
    for prefix in _COUNTRY_PREFIXES:
        rest = value[len(prefix) :]
        # Only strip when exactly a mobile number remains, otherwise a bare
        # 11-digit number starting with "86…" could be mangled (and a second
        # normalisation pass would change the result).
        if value.startswith(prefix) and len(rest) == 11 and rest.isascii() and rest.isdigit():
            return rest
    return value


def mask_mobile(mobile: str) -> str:
    """Display form of a mobile number in messages: ``138****8000``."""
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) == 11 else mobile


def validate_mobile(raw: str) -> str:
    """Return the normalised 11-digit mainland mobile number or raise ``ValidationError``."""
    value = normalize_mobile(raw) if isinstance(raw, str) else ""
    if not _MOBILE_RE.match(value):
        raise ValidationError(MOBILE_MESSAGE, code="invalid_mobile")
    return value


# ---------------------------------------------------------------------------
# Resident identity card number (GB 11643-1999)
# ---------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_ID_MIN_BIRTH_YEAR = 1900

ID_FORMAT_MESSAGE = _("身份证号码应为18位，最后一位可以是数字或X")
ID_BIRTH_DATE_MESSAGE = _("身份证号码中的出生日期无效")
ID_CHECKSUM_MESSAGE = _("身份证号码校验位不正确，请核对")


def normalize_id_number(raw: str) -> str:
    """Remove whitespace and upper-case the trailing ``x``."""
    return _strip_whitespace(_fold_fullwidth(raw)).upper()


def id_number_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("first17 must be exactly 17 ASCII digits")
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK_CHARS[total % 11]


def _parse_birth_date(id_number: str) -> date | None:
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def _today() -> date:
    # Birth dates are Beijing dates; with a UTC server clock, date.today() would
    # reject someone born "today" for the first eight hours of the day.
    if settings.USE_TZ:
        return timezone.localdate()
    return date.today()


def validate_id_number(raw: str, *, today: date | None = None) -> str:
    """Return the normalised 18-character ID number or raise ``ValidationError``.

    Error codes: ``invalid_id_number_format``, ``invalid_id_number_birth_date``,
    ``invalid_id_number_checksum``.  ``today`` exists for deterministic tests.
    """
    value = normalize_id_number(raw) if isinstance(raw, str) else ""
    if not _ID_RE.match(value):
        raise ValidationError(ID_FORMAT_MESSAGE, code="invalid_id_number_format")

    birth = _parse_birth_date(value)
    if (
        birth is None
        or birth.year < _ID_MIN_BIRTH_YEAR
        or birth > (today if today is not None else _today())
    ):
        raise ValidationError(ID_BIRTH_DATE_MESSAGE, code="invalid_id_number_birth_date")

    if id_number_check_digit(value[:17]) != value[17]:
        raise ValidationError(ID_CHECKSUM_MESSAGE, code="invalid_id_number_checksum")
    return value


def id_number_birth_date(id_number: str) -> date:
    """Birth date encoded in positions 7–14; ``ValueError`` if it is not a real date.

    Does not verify the check digit; call :func:`validate_id_number` first.
    """
    value = normalize_id_number(id_number)
    if not _ID_RE.match(value):
        raise ValueError("not an 18-character ID number")
    birth = _parse_birth_date(value)
    if birth is None:
        raise ValueError("ID number does not contain a valid birth date")
    return birth


def id_number_gender(id_number: str) -> str:
    """``"male"`` if the 17th digit (sequence code) is odd, else ``"female"``."""
    value = normalize_id_number(id_number)
    if not _ID_RE.match(value):
        raise ValueError("not an 18-character ID number")
    return "male" if int(value[16]) % 2 else "female"


def mask_id_number(id_number: str) -> str:
    """Display form: first 6 + 8 asterisks + last 4, e.g. ``130102********123X``.

    Always emits exactly 8 asterisks so the mask does not reveal the length of
    malformed legacy values; inputs too short to keep 10 characters visible
    without exposing most of the number are fully masked.
    """
    value = normalize_id_number(id_number)
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * 8
    return f"{value[:6]}{'*' * 8}{value[-4:]}"


# ---------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)
# ---------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_INDEX = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

USCC_FORMAT_MESSAGE = _("统一社会信用代码应为18位，由数字和大写字母组成（不含 I、O、Z、S、V）")
# Not raised here: exported so forms can show it as an overridable warning.
USCC_CHECKSUM_WARNING = _("统一社会信用代码校验位不正确，请核对；如确认无误，可由管理员确认后保存")


@dataclass(frozen=True, slots=True)
class UsccResult:
    code: str
    checksum_ok: bool


def _normalize_uscc(raw: str) -> str:
    return _strip_whitespace(_fold_fullwidth(raw)).upper()


def uscc_check_char(first17: str) -> str:
    """Check character for the first 17 characters of a USCC."""
    if len(first17) != 17 or any(ch not in _USCC_INDEX for ch in first17):
        raise ValueError("first17 must be 17 characters from the USCC alphabet")
    total = sum(_USCC_INDEX[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_format_ok(code: str) -> bool:
    """Length 18 and every character from the USCC alphabet (case-sensitive)."""
    return len(code) == 18 and all(ch in _USCC_INDEX for ch in code)


def uscc_checksum_ok(code: str) -> bool:
    return uscc_format_ok(code) and uscc_check_char(code[:17]) == code[17]


def validate_uscc(raw: str) -> UsccResult:
    """Normalise and check a USCC.

    A malformed code raises ``ValidationError`` (code ``invalid_uscc_format``).
    A wrong check character does not: some codes issued during the 2015–2017
    transition and many values in imported spreadsheets fail the checksum yet
    are what appears on the business licence, so the caller decides
    (``checksum_ok`` false → show :data:`USCC_CHECKSUM_WARNING`).
    """
    code = _normalize_uscc(raw) if isinstance(raw, str) else ""
    if not uscc_format_ok(code):
        raise ValidationError(USCC_FORMAT_MESSAGE, code="invalid_uscc_format")
    return UsccResult(code=code, checksum_ok=uscc_checksum_ok(code))


# ---------------------------------------------------------------------------
# Evidence uploads
# ---------------------------------------------------------------------------

_MAGIC = (
    ("pdf", b"%PDF-"),
    ("jpeg", b"\xff\xd8\xff"),
    ("png", b"\x89PNG\r\n\x1a\n"),
)
_EXTENSIONS = {".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png"}
_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG"}

UPLOAD_TYPE_MESSAGE = _("仅支持 PDF、JPG、PNG 格式的文件")
UPLOAD_SIZE_MESSAGE = _("文件大小不能超过 %(limit)s")
UPLOAD_CONTENT_MESSAGE = _("文件内容与扩展名不符或文件已损坏")

DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _human_size(n: int) -> str:
    mib = 1024 * 1024
    if n >= mib and n % mib == 0:
        return f"{n // mib} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} 字节"


def _file_size(file: Any) -> int:
    size = getattr(file, "size", None)
    if size is not None:
        return int(size)
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def _image_is_sound(file: IO[bytes], kind: str) -> bool:
    # Imported lazily: Pillow is only needed on upload paths.
    from PIL import Image

    try:
        with Image.open(file) as img:
            if img.format != _PILLOW_FORMATS[kind]:
                return False
            img.verify()
    # Pillow signals damaged data through many unrelated exception types
    # (OSError, SyntaxError, struct.error, IndexError, DecompressionBombError…);
    # any of them means the file is unusable evidence, never a server error.
    except Exception:
        return False
    return True


def validate_upload(file: Any, max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> str:
    """Check an evidence upload and return its kind: ``"pdf"``, ``"jpeg"`` or ``"png"``.

    ``file`` is a Django ``UploadedFile`` (or anything with ``name``, ``size``,
    ``read`` and ``seek``).  The content, not the client-supplied extension or
    MIME type, decides the kind; the extension must merely agree so the file
    opens correctly when downloaded again.  The file position is reset to 0.

    Error codes: ``unsupported_file_type``, ``file_too_large``, ``file_content_mismatch``.
    """
    ext = os.path.splitext(getattr(file, "name", None) or "")[1].lower()
    expected = _EXTENSIONS.get(ext)
    if expected is None:
        raise ValidationError(UPLOAD_TYPE_MESSAGE, code="unsupported_file_type")

    if _file_size(file) > max_bytes:
        raise ValidationError(
            UPLOAD_SIZE_MESSAGE, code="file_too_large", params={"limit": _human_size(max_bytes)}
        )

    try:
        file.seek(0)
        head = file.read(16) or b""
        kind = next((k for k, magic in _MAGIC if head.startswith(magic)), None)
        if kind != expected:
            raise ValidationError(UPLOAD_CONTENT_MESSAGE, code="file_content_mismatch")
        if kind in _PILLOW_FORMATS:
            file.seek(0)
            if not _image_is_sound(file, kind):
                raise ValidationError(UPLOAD_CONTENT_MESSAGE, code="file_content_mismatch")
        return kind
    finally:
        file.seek(0)
