from orgs.roles import is_console_user, manages_orgs_below, officer_roles, works_with_people


def roles(request) -> dict:
    """What the header shows: the console menu, and within it only the pages this role can use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not is_console_user(request):
        return {"is_console_user": False, "manages_orgs_below": False, "administers_orgs": False}
    if works_with_people(request):
        return {
            "is_console_user": True,
            "works_with_people": True,
            "manages_orgs_below": manages_orgs_below(request),
            # Provincial staff read everything and administer nothing: no page that only registers or changes
            # (webhooks), nor the audit trail, which administrators read over their subtree.
            "administers_orgs": user.is_superuser or not user.department,
        }
    # A 三员 officer: the roles held, by OfficerRole name (officer_roles.SECURITY etc. in templates).
    return {
        "is_console_user": True,
        "officer_roles": {role.name: role.value in officer_roles(request) for role in _roles()},
    }


def _roles():
    from orgs.models import OfficerRole

    return OfficerRole
