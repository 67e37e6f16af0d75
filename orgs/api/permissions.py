"""Which endpoints a service token may call: a view names the scope each method needs in `token_scopes`
({"GET": "read_members"}); a view without one is closed to service tokens. Accounts (session or bearer
login) are not limited here: the selectors scope what they reach."""

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from orgs.models import ServiceToken


class TokenScope(BasePermission):
    code = "token_scope"

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.auth, ServiceToken):
            return True
        needed = getattr(view, "token_scopes", {}).get(request.method)
        if needed is None or needed not in request.auth.scopes:
            self.message = _("该服务令牌没有调用此接口的权限范围")
            return False
        return True


class AccountOnly(BasePermission):
    """Endpoints that act for a signed-in person or administrator themselves (never a service token)."""

    code = "token_scope"

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ServiceToken):
            self.message = _("服务令牌不能调用此接口")
            return False
        return True
