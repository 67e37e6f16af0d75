from orgs import permissions
from orgs.selectors.scope import orgs_administered_have_children


def _grants(request) -> set[str]:
    """The codenames the signed-in user holds on any org; one query, cached for the request."""
    cached = getattr(request, "_kexie_grants", None)
    if cached is None:
        cached = permissions.grant_codenames(request.user)
        request._kexie_grants = cached
    return cached


def officer_roles(request) -> set[str]:
    """The 三员 roles of the signed-in user (orgs.models.OfficerRole values)."""
    from orgs.models import OfficerRole

    return _grants(request) & set(OfficerRole.values)


def works_with_people(request) -> bool:
    """Administrators, provincial staff and superusers: the console pages about people.

    The 三员 officers are console users too, but never reach these pages."""
    user = request.user
    return user.is_authenticated and (
        user.is_superuser or bool(user.department) or permissions.ADMINISTER.split(".")[1] in _grants(request)
    )


def is_console_user(request) -> bool:
    """Anyone who signs in to the console (idle logout, the console menu): the above and the 三员 officers."""
    return works_with_people(request) or bool(request.user.is_authenticated and officer_roles(request))


def manages_orgs_below(request) -> bool:
    """Administers an organisation that has organisations below it: may set their targets and create their
    administrators. County administrators without subordinate organisations and provincial staff may not."""
    cached = getattr(request, "_kexie_manages_orgs_below", None)
    if cached is None:
        user = request.user
        cached = user.is_authenticated and (user.is_superuser or orgs_administered_have_children(user))
        request._kexie_manages_orgs_below = cached
    return cached
