from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from kexie.roles import is_console_user


@require_safe
def home(request):
    """Landing page for visitors; signed-in users go to their own workspace."""
    user = request.user
    if user.is_authenticated:
        if is_console_user(request):
            return redirect("orgs:tree")
        return redirect("members:me")
    return render(request, "home.html")
