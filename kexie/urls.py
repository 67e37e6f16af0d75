from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kexie import views
from kexie.forms import AdminLoginForm, LoginForm
from kexie.ratelimit import LOGIN_FAILURES, PASSWORD_CHECK_FAILURES, limit_posts, refused

# Every entrance that checks a password counts failures: django-axes limits per username and IP wherever
# authenticate() runs; these limits add the per-IP count across usernames and the password re-checks.
login_limited = limit_posts(LOGIN_FAILURES, count=refused)
password_check_limited = limit_posts(PASSWORD_CHECK_FAILURES, count=refused)
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        login_limited(auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", password_check_limited(auth_views.PasswordChangeView.as_view()), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("console/", include("orgs.urls")),
    path("console/", include("approvals.urls")),
    path("progress/", include("orgs.urls_public")),
    path("console/", include("members.lifecycle_urls")),
    path("", include("members.lifecycle_public_urls")),
    path("", include("members.urls")),
    path("", include("approvals.urls_public")),
    # Before admin.site.urls so that the admin's login page is the limited one.
    path("admin/login/", login_limited(admin.site.login), name="admin_login"),
    path("admin/", admin.site.urls),
]
