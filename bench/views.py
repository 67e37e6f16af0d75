"""Views routed only under kexie.settings.bench (ROOT_URLCONF = bench.urls), never in the project's URLs."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template import engines
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from approvals.services import application_submit
from kexie.errors import DomainError
from members.models import Person
from orgs.models import Org


@login_required
@require_POST
def bare(request):
    """The reference: the same middleware, session, authentication and CSRF check, and no work at all."""
    return HttpResponseRedirect("/")


class ApplicationSubmitForm(forms.Form):
    org = forms.ModelChoiceField(label=_("申请组织"), queryset=Org.objects.active())
    explanation = forms.CharField(label=_("申请说明"), required=False, max_length=2000, widget=forms.Textarea)
    declaration = forms.BooleanField(
        label=_("我已阅读并承诺遵守入会声明"), error_messages={"required": _("请阅读并勾选入会声明")}
    )


_FORM_PAGE = engines["django"].from_string(
    '{% extends "base.html" %}{% block content %}<form method="post">{% csrf_token %}'
    '{% include "includes/form.html" %}<button type="submit">提交</button></form>{% endblock %}'
)


@login_required
@require_http_methods(["GET", "POST"])
def application_submit_view(request):
    """What an applicant's submit page does: validate the form, call the one service, redirect."""
    person = Person.objects.select_related("user").filter(user=request.user).first()
    if person is None:
        return redirect("members:me")
    form = ApplicationSubmitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application_submit(
                person=person,
                org=form.cleaned_data["org"],
                explanation=form.cleaned_data["explanation"],
                declaration_accepted=form.cleaned_data["declaration"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("入会申请已提交，请等待审核"))
            return redirect("members:me")
    return HttpResponse(_FORM_PAGE.render({"form": form}, request))
