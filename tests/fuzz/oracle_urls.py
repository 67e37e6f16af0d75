"""Views that break each rule on purpose, so tests/fuzz/test_oracle.py proves the oracle notices."""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import path

from orgs.models import Target


def _write(request):
    Target.objects.filter(pk__gt=0).update(value=0) or Target.objects.create(
        org_id=request.GET["org"], year=2026, metric="new_members", value=1
    )


def refused_but_wrote(request):
    _write(request)
    return HttpResponseBadRequest("no")


def error_message_but_wrote(request):
    _write(request)
    messages.error(request, "不行")
    return HttpResponseRedirect("/")


def wrote_then_rolled_back(request):
    from django.db import transaction

    with transaction.atomic():
        _write(request)
        transaction.set_rollback(True)
    return HttpResponseBadRequest("no")


def leaks(request):
    from members.crypto import decrypt_id_number
    from members.models import Person

    return HttpResponse(f"<p>{decrypt_id_number(Person.objects.exclude(id_number_encrypted='').first().id_number_encrypted)}</p>")


def shows_typed(request):
    return HttpResponse("".join(f"<input name='{k}' value='{v}'>" for k, v in request.GET.items()))


def echoes(request):
    return HttpResponse(f"<input value='{request.POST.get('password', '')}'>")


def off_site(request):
    return HttpResponseRedirect(request.GET["next"])


def crashes(request):
    raise ValueError("boom")


def writes_then_crashes(request):
    _write(request)
    raise ValueError("boom after the write")


urlpatterns = [
    path("refused-but-wrote/", refused_but_wrote),
    path("error-message-but-wrote/", error_message_but_wrote),
    path("wrote-then-rolled-back/", wrote_then_rolled_back),
    path("leaks/", leaks),
    path("shows-typed/", shows_typed),
    path("echoes/", echoes),
    path("off-site/", off_site),
    path("crashes/", crashes),
    path("writes-then-crashes/", writes_then_crashes),
]
