from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from orgs.roles import is_console_user


def console_required(view):
    """Administrators and provincial staff only; anyone else gets the same 404 as a missing page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_console_user(request):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
