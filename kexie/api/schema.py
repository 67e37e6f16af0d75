"""The OpenAPI 3 document (drf-spectacular): every operation documents the shared error body, and POSTs
that create something document the Idempotency-Key header."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter

from kexie.api.errors import ErrorSerializer
from kexie.api.idempotency import HEADER

ERROR_DESCRIPTIONS = {
    "400": "请求数据有误（validation_error）或违反业务规则（rule_violation）",
    "401": "未登录或令牌无效、已过期、已吊销",
    "403": "无权执行该操作（含服务令牌缺少所需权限范围）",
    "404": "对象不存在或不在您的管辖范围内（两者无法区分）",
    "409": "状态冲突：申请已被处理（invalid_transition），或同一幂等键的请求仍在处理",
    "429": "请求过于频繁（rate_limited）",
}


class AutoSchema(SpectacularAutoSchema):
    def _handler(self):
        return getattr(self.view, self.method.lower(), None)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if getattr(self._handler(), "idempotent", False):
            parameters.append(
                OpenApiParameter(
                    HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="幂等键（建议 UUID）：同一调用方在 24 小时内用同一键重试，返回第一次的结果而不重复创建",
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        for code, description in ERROR_DESCRIPTIONS.items():
            if code not in bodies:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                body["description"] = description
                bodies[code] = body
        return bodies
