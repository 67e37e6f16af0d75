from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from orgs.roles import is_console_user, officer_roles, works_with_people


def console_required(view):
    """Administrators and provincial staff only; anyone else (the 三员 officers too) gets the same 404 as a
    missing page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not works_with_people(request):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def console_user_required(view):
    """Anyone who signs in to the console, the 三员 officers included: one's own account pages (two-factor)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_console_user(request):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def officer_required(*roles: str, administrators: bool = False):
    """Holders of one of the 三员 `roles` (and, with `administrators`, anyone console_required lets in); the
    view still scopes its contents. Everyone else gets 404."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed = request.user.is_superuser or bool(officer_roles(request) & set(roles))
            if not allowed and not (administrators and works_with_people(request)):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
