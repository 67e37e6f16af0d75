from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from members.selectors import notices_for


@login_required
def me(request):
    return render(request, "members/me.html", {"notices": notices_for(request.user)[:10]})
