from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request, default: str) -> str:
    """The `next` target of a form or link when it stays on this site, else `default` (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default
