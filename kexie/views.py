from django.shortcuts import redirect, render

from orgs.selectors import is_administrator


def home(request):
    """Landing page for visitors; signed-in users go to their own workspace."""
    user = request.user
    if user.is_authenticated:
        if user.is_superuser or user.department or is_administrator(user):
            return redirect("orgs:tree")
        return redirect("members:me")
    return render(request, "home.html")


def healthz(request):
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
