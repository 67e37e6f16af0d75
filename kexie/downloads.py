"""How every file the system hands out is named: one Content-Disposition for spreadsheets, PDFs, exports and
uploaded evidence, so a Chinese file name arrives intact in every browser.

RFC 6266 with RFC 5987 encoding: `filename*=UTF-8''…` carries the real (Chinese) name; the plain `filename="…"`
beside it is an ASCII stand-in for clients that do not read `filename*`. Neither can carry a quote or a line
break, so a name typed by a user (an organisation's name, an uploaded file's) cannot break the header.
"""

import re
from pathlib import PurePosixPath
from urllib.parse import quote

from django.http import HttpResponse

_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _ascii_stand_in(filename: str) -> str:
    path = PurePosixPath(filename)
    stem = _NOT_ASCII_SAFE.sub("_", path.stem).strip("._-")
    suffix = _NOT_ASCII_SAFE.sub("", path.suffix)
    return f"{stem or 'download'}{suffix}"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    # Path separators and control characters never belong in a suggested name.
    filename = re.sub(r"[\x00-\x1f\x7f/\\]+", "_", filename).strip() or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{_ascii_stand_in(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(response: HttpResponse, filename: str, *, inline: bool = False) -> HttpResponse:
    """Name the response's file; `inline` lets the browser show it (a PDF) instead of saving it."""
    response["Content-Disposition"] = content_disposition(filename, inline=inline)
    return response


def file_download(content: bytes, *, filename: str, content_type: str, inline: bool = False) -> HttpResponse:
    return attachment(HttpResponse(content, content_type=content_type), filename, inline=inline)
