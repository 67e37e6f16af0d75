"""The applicant's application pages: choose an organisation, apply, follow one's applications."""

from django.urls import path

from approvals.views import applicant

app_name = "applications"

urlpatterns = [
    path("orgs/choose/", applicant.org_choose, name="org_choose"),
    path("me/apply/<int:org_id>/", applicant.apply, name="apply"),
    path("me/applications/", applicant.application_list, name="application_list"),
    path("me/applications/<int:pk>/", applicant.application_detail, name="application_detail"),
    path("me/applications/<int:pk>/resubmit/", applicant.application_resubmit_view, name="application_resubmit"),
    path("me/applications/<int:pk>/withdraw/", applicant.application_withdraw_view, name="application_withdraw"),
]
