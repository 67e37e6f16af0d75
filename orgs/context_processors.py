from orgs.roles import is_console_user, officer_roles, works_with_people


def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_console_user": False}
    return {
        "is_console_user": is_console_user(request),
        "works_with_people": works_with_people(request),
        # The 三员 roles held, by OfficerRole name: officer_roles.SECURITY etc. in templates.
        "officer_roles": {role.name: role.value in officer_roles(request) for role in _roles()},
    }


def _roles():
    from orgs.models import OfficerRole

    return OfficerRole
