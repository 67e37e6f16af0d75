from orgs.selectors.accounts import is_administrator
from orgs.selectors.scope import orgs_below_managed


def is_console_user(request) -> bool:
    """Administrators, provincial staff and superusers use the console; cached for the request."""
    cached = getattr(request, "_kexie_is_console_user", None)
    if cached is None:
        user = request.user
        cached = user.is_authenticated and (user.is_superuser or bool(user.department) or is_administrator(user))
        request._kexie_is_console_user = cached
    return cached


def manages_orgs_below(request) -> bool:
    """Administers an organisation that has organisations below it: may set their targets and create their
    administrators. County administrators without subordinate organisations and provincial staff may not."""
    cached = getattr(request, "_kexie_manages_orgs_below", None)
    if cached is None:
        user = request.user
        cached = user.is_authenticated and (user.is_superuser or orgs_below_managed(user).exists())
        request._kexie_manages_orgs_below = cached
    return cached
