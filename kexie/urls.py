"""The root URLconf: it composes the apps' URLconfs by name, so kexie imports none of them."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kexie import health
from kexie.forms import LoginForm, PasswordChangeForm
from kexie.ratelimit import LOGIN_FAILURES, limit_posts, login_failed

login_view = auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True)

# A database or disk outage answers 503 with an explanation instead of the generic error page.
handler500 = "kexie.views.server_error"

urlpatterns = [
    path("", include("orgs.urls_home")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", limit_posts(LOGIN_FAILURES, count=login_failed)(login_view), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm),
        name="password_change",
    ),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("console/", include("orgs.urls")),
    path("console/", include("approvals.urls")),
    path("progress/", include("orgs.urls_public")),
    path("console/", include("members.urls_console")),
    path("", include("members.urls")),
    path("", include("approvals.urls_applicant")),
    path("", include("members.urls_certificates")),
    path("api/v1/", include("kexie.api.urls")),
    path("api/v1/", include("orgs.api.urls")),
    path("api/v1/", include("members.api.urls")),
    path("api/v1/", include("members.api.urls_console")),
    path("api/v1/", include("approvals.api.urls")),
    path("admin/", admin.site.urls),
]
