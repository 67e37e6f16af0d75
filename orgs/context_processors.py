from orgs.roles import is_console_user


def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_console_user": False}
    return {"is_console_user": is_console_user(request)}
