"""The site's public address, for links that leave the browser: certificate QR codes, invitation texts."""

from django.conf import settings


def site_url(request=None) -> str:
    """KEXIE_SITE_URL when it is set; otherwise the scheme and host this request came to; without either, ""
    (a link is then a path only). No trailing slash."""
    configured = (settings.SITE_URL or "").strip().rstrip("/")
    if configured:
        return configured
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return ""
