from orgs.roles import is_console_user, manages_orgs_below


def roles(request) -> dict:
    """What the header shows: the console menu, and within it only the pages this role can use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not is_console_user(request):
        return {"is_console_user": False, "manages_orgs_below": False, "administers_orgs": False}
    return {
        "is_console_user": True,
        "manages_orgs_below": manages_orgs_below(request),
        # Provincial staff read everything and administer nothing: no page that only registers or changes.
        "administers_orgs": user.is_superuser or not user.department,
    }
