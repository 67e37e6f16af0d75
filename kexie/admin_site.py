from django.contrib import admin

from kexie.forms import AdminLoginForm
from kexie.ratelimit import LOGIN_FAILURES, limit_posts, login_failed


class AdminSite(admin.AdminSite):
    """Django admin with the same sign-in rules as the site: per-address failure limit and username ceiling."""

    login_form = AdminLoginForm

    def login(self, request, extra_context=None):
        return limit_posts(LOGIN_FAILURES, count=login_failed)(super().login)(request, extra_context)
