from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kexie import health, views
from kexie.forms import LoginForm
from kexie.ratelimit import LOGIN_FAILURES, limit_posts, login_failed

login_view = auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", limit_posts(LOGIN_FAILURES, count=login_failed)(login_view), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("console/", include("orgs.urls")),
    path("console/", include("approvals.urls")),
    path("progress/", include("orgs.urls_public")),
    path("console/", include("members.lifecycle_urls")),
    path("", include("members.lifecycle_public_urls")),
    path("", include("members.urls")),
    path("", include("approvals.urls_public")),
    path("admin/", admin.site.urls),
]
