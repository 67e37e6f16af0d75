"""Evidence files a reviewer may look at inside the review page: PDF and the two image types uploads allow.

The suffix decides what a file claims to be; its first bytes must agree before it is shown inline, so a file that
only carries a .pdf or .png name is never handed to the browser to render (it can still be downloaded).
"""

from pathlib import Path

# suffix → (how the page shows it, content type, signatures its first bytes must start with)
PREVIEW_TYPES = {
    ".pdf": ("pdf", "application/pdf", (b"%PDF-",)),
    ".png": ("image", "image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image", "image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image", "image/jpeg", (b"\xff\xd8\xff",)),
}
SIGNATURE_BYTES = 8


def evidence_preview_kind(name: str) -> str:
    """"pdf", "image", or "" when the file is not one the page shows inline."""
    entry = PREVIEW_TYPES.get(Path(name or "").suffix.lower())
    return entry[0] if entry else ""


def evidence_content_type(name: str, head: bytes) -> str | None:
    """The content type to serve the file inline with, or None when its first bytes do not match its suffix."""
    entry = PREVIEW_TYPES.get(Path(name or "").suffix.lower())
    if entry is None or not head.startswith(entry[2]):
        return None
    return entry[1]
