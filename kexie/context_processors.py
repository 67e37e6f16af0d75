from orgs.selectors import is_administrator


def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_console_user": False}
    is_console = getattr(request, "_kexie_is_console_user", None)
    if is_console is None:
        is_console = user.is_superuser or bool(user.department) or is_administrator(user)
    return {"is_console_user": is_console}
