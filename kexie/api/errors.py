"""One JSON shape for every API error: {"code": stable machine code, "message": Chinese text, "fields": {...}}.

Codes are part of the API contract; clients switch on `code`, people read `message`.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kexie.errors import DomainError

# DRF exception class -> stable code. Anything not listed falls back to the exception's own default_code.
CODES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "parse_error",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}


class ApiError(exceptions.APIException):
    """An error with an explicit stable code, raised by API views (e.g. idempotency conflicts)."""

    def __init__(self, *, code: str, message: str, status_code: int = status.HTTP_400_BAD_REQUEST, extra: dict | None = None):
        self.status_code = status_code
        super().__init__(detail=message, code=code)
        self.stable_code = code
        self.extra = extra or {}


class ErrorSerializer(serializers.Serializer):
    """The body of every error response (documented once in the schema)."""

    code = serializers.CharField(help_text="稳定的错误代码，如 validation_error、not_found、rule_violation、invalid_transition、rate_limited")
    message = serializers.CharField(help_text="中文错误说明，可直接展示给用户")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="字段错误：字段名 → 中文错误说明列表（仅 validation_error）",
    )


def error_body(code: str, message, fields: dict | None = None) -> dict:
    body = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    return body


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out = {}
        for name, errors in detail.items():
            if isinstance(errors, dict):
                for sub, msgs in _flatten(errors).items():
                    out[f"{name}.{sub}"] = msgs
            else:
                items = errors if isinstance(errors, list) else [errors]
                out[name] = [str(e) for e in items]
        return out
    items = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(e) for e in items]}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        # Rules of the domain: OutOfScope answers 404 exactly like a missing object.
        return Response(error_body(exc.code, exc.message), status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail_code = getattr(getattr(exc, "detail", None), "code", None)
    if isinstance(exc, ApiError):
        code = exc.stable_code
    elif isinstance(detail_code, str) and detail_code != getattr(exc, "default_code", None):
        code = detail_code  # a permission's own code, e.g. token_scope
    else:
        code = next((c for cls, c in CODES.items() if isinstance(exc, cls)), getattr(exc, "default_code", "error"))
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.values()))[0] if fields else _("提交的数据有误")
        response.data = error_body(code, first if list(fields) == ["non_field_errors"] else _("提交的数据有误，请按字段说明修改"), fields)
    elif isinstance(exc, exceptions.Throttled):
        response.data = error_body(code, _("请求过于频繁，请 %(s)d 秒后再试") % {"s": int(exc.wait or 1)})
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else exc
        response.data = error_body(code, detail if not isinstance(detail, (list, dict)) else _("请求无法完成"))
    if isinstance(exc, ApiError):
        response.data.update(exc.extra)
    return response


def form_invalid(form) -> exceptions.ValidationError:
    """A Django form's errors in the API's error shape (the pages and the API validate with the same forms)."""
    fields = {
        ("non_field_errors" if name == "__all__" else name): [str(m) for m in errors]
        for name, errors in form.errors.items()
    }
    return exceptions.ValidationError(fields)


def filters_or_error(form):
    """A console filter form's cleaned filters; an organisation outside the caller's scope is 404 as on the
    pages, any other bad filter a validation error."""
    if not form.is_valid():
        if "org" in form.errors:
            raise exceptions.NotFound()
        raise form_invalid(form)
    return form.selector_kwargs()
