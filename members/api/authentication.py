"""The mini-program's bearer access tokens ("Bearer kxa_…"): no cookies, so no CSRF."""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions

from members.services.api_sessions import ACCESS_PREFIX, api_session_authenticate
from orgs.api.authentication import BearerAuthentication


class BearerTokenAuthentication(BearerAuthentication):
    prefix = ACCESS_PREFIX

    def authenticate_secret(self, secret):
        session = api_session_authenticate(secret)
        if session is None or not session.user.is_active:
            raise exceptions.AuthenticationFailed(_("访问令牌无效或已过期，请用刷新令牌换取新的访问令牌"))
        return session.user, session


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "小程序访问令牌（kxa_ 开头），由 POST /api/v1/auth/token/ 用手机号码和密码换取，"
            "有效期 15 分钟；过期后用刷新令牌调用 /api/v1/auth/token/refresh/ 换取新令牌。",
        }
