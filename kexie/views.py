from django.shortcuts import redirect, render

from kexie.roles import is_console_user


def home(request):
    """Landing page for visitors; signed-in users go to their own workspace."""
    user = request.user
    if user.is_authenticated:
        if is_console_user(request):
            return redirect("orgs:tree")
        return redirect("members:me")
    return render(request, "home.html")


def healthz(request):
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
