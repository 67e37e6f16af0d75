from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin

from kexie.forms import AdminLoginForm
from kexie.ratelimit import LOGIN_FAILURES, limit_posts, login_failed


class AdminSite(admin.AdminSite):
    """Django admin with the same sign-in rules as the site: per-address failure limit and username ceiling."""

    login_form = AdminLoginForm

    def login(self, request, extra_context=None):
        return limit_posts(LOGIN_FAILURES, count=login_failed)(super().login)(request, extra_context)

    def admin_view(self, view, cacheable=False):
        # django-mptt's admin indents the organisation tree with style="…" attributes. Only those are allowed,
        # only on the signed-in admin's pages: scripts and <style> elements stay forbidden.
        return csp_update({"style-src-attr": [UNSAFE_INLINE]})(super().admin_view(view, cacheable))
