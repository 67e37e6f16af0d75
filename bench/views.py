"""Views routed only under kexie.settings.bench (ROOT_URLCONF = bench.urls), never in the project's URLs."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.views.decorators.http import require_POST


@login_required
@require_POST
def bare(request):
    """The reference: the same middleware, session, authentication and CSRF check, and no work at all."""
    return HttpResponseRedirect("/")
