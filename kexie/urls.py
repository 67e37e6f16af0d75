"""The root URLconf: it composes the apps' URLconfs by name, so kexie imports none of them."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kexie import views
from kexie.ratelimit import LOGIN_FAILURES, limit_posts, login_failed

urlpatterns = [
    path("", include("orgs.urls_home")),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        limit_posts(LOGIN_FAILURES, count=login_failed)(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("console/", include("orgs.urls")),
    path("console/", include("approvals.urls")),
    path("progress/", include("orgs.urls_public")),
    path("console/", include("members.urls_console")),
    path("", include("members.urls")),
    path("", include("approvals.urls_applicant")),
    path("", include("members.urls_certificates")),
    path("admin/", admin.site.urls),
]
