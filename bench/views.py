"""Views routed only under kexie.settings.bench (ROOT_URLCONF = bench.urls), never in the project's URLs."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods


@login_required
@require_http_methods(["GET", "POST"])
def bare(request):
    """The reference: the same middleware, session, authentication (and CSRF check for POST), no work at all.

    POST answers like a form submit (a redirect); GET answers like a page (200), the floor for page latency.
    """
    if request.method == "POST":
        return HttpResponseRedirect("/")
    return HttpResponse("ok")
