"""Service tokens in the Authorization header ("Bearer kxs_…"): no cookies, so no CSRF."""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from kexie.request_context import set_credential
from orgs import permissions
from orgs.services.service_tokens import PREFIX, service_token_authenticate


def bearer_secret(request, prefix: str) -> str | None:
    """The bearer secret of the Authorization header when it starts with `prefix`, else None."""
    header = authentication.get_authorization_header(request).decode("latin-1")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip().startswith(prefix):
        return None
    return secret.strip()


class BearerAuthentication(authentication.BaseAuthentication):
    """A bearer secret with this class's `prefix`; other Authorization headers are left to the next class."""

    prefix = ""

    def authenticate(self, request):
        secret = bearer_secret(request, self.prefix)
        return None if secret is None else self.authenticate_secret(secret)

    def authenticate_secret(self, secret: str):
        raise NotImplementedError

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ServiceTokenAuthentication(BearerAuthentication):
    prefix = PREFIX

    def authenticate_secret(self, secret):
        token = service_token_authenticate(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("服务令牌无效、已过期或已被吊销"))
        set_credential(f"service_token:{token.pk}")
        return permissions.as_service_token(token.created_by, token), token


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = ServiceTokenAuthentication
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "服务令牌（kxs_ 开头），由管理员在 /api/v1/service-tokens/ 为本辖区创建，只显示一次；"
            "只能访问令牌所属组织及其下级，且只能调用其权限范围（read_progress、read_members、decide）内的接口。",
        }
