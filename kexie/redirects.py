"""Redirect targets taken from a request (`?next=` and hidden `next` fields)."""

from django.utils.http import url_has_allowed_host_and_scheme

# Longer targets are not ours: every page of the site has a short path. Django refuses to redirect to more
# than 2048 characters (DisallowedRedirect, after the view has done its work).
MAX_TARGET_LENGTH = 2000


def is_safe_path(target: str, request) -> bool:
    """True when `target` is a path on this site that a redirect may use as it is.

    Only absolute paths ("/me/profile/") pass: a bare word would be taken by `redirect()` for a URL name
    (and fail), a scheme or host could leave the site, and control characters or the replacement character
    (left where undecodable bytes were sent) have no place in a path of ours.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_TARGET_LENGTH:
        return False
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(ch) < 32 or ch in "\x7f\ufffd\\" for ch in target):
        return False
    try:
        return url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    except ValueError:  # urlsplit refuses some malformed targets
        return False


def next_url(request, default: str) -> str:
    """The `next` target of a form or link (POST first, then the query string) when it is a path on this
    site, else `default`: no open redirect, and no target `redirect()` would mistake for a URL name."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if is_safe_path(target, request) else default


def url_with_query(path: str, query) -> str:
    """`path` with a list's filters (a QueryDict taken from the request) kept in the query string, unless the
    target would be too long to redirect to: then the list unfiltered."""
    encoded = query.urlencode() if query else ""
    target = f"{path}?{encoded}" if encoded else path
    return target if len(target) <= MAX_TARGET_LENGTH else path
