from orgs.selectors.accounts import is_administrator


def is_console_user(request) -> bool:
    """Administrators, provincial staff and superusers use the console; cached for the request."""
    cached = getattr(request, "_kexie_is_console_user", None)
    if cached is None:
        user = request.user
        cached = user.is_authenticated and (user.is_superuser or bool(user.department) or is_administrator(user))
        request._kexie_is_console_user = cached
    return cached
