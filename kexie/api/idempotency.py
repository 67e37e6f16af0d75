"""Idempotency keys on POSTs that create something: a client that retries with the same `Idempotency-Key`
header gets the first response again instead of a second object.

The first successful (non-5xx) response is kept for 24 hours in Django's cache (Redis in production),
keyed by the caller (token, else account, else client IP), the path and the key. A key reused with a
different body is refused; a retry while the first request is still running is told to wait. Error
responses are not kept, so a corrected retry with the same key is processed. The domain's own database
constraints (one open application per person and organisation, unique member numbers) still hold when a
cache entry is lost.
"""

import hashlib
import json
from functools import wraps

from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from kexie.api.errors import ApiError
from kexie.client_address import client_address as client_ip_from

HEADER = "Idempotency-Key"
KEEP_SECONDS = 24 * 60 * 60
# Longer than any request should take; a crashed request frees its key after this.
PENDING_SECONDS = 120


def _caller(request) -> str:
    token_key = getattr(request.auth, "rate_key", None)
    if token_key:
        return token_key
    if request.user and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{client_ip_from(request) or 'unknown'}"


def _fingerprint(request) -> str:
    def plain(value):
        if isinstance(value, UploadedFile):
            return {"file": value.name, "size": value.size}
        return value

    data = request.data
    if hasattr(data, "lists"):
        data = {k: [plain(v) for v in values] for k, values in data.lists()}
    body = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay_or_refuse(stored: dict, fingerprint: str) -> Response:
    if stored["fingerprint"] != fingerprint:
        raise ApiError(
            code="idempotency_key_reused",
            message=_("该 Idempotency-Key 已用于另一内容不同的请求，请换一个新的键"),
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if stored["state"] == "pending":
        raise ApiError(
            code="idempotency_in_progress",
            message=_("相同 Idempotency-Key 的请求正在处理，请稍后重试"),
            status_code=status.HTTP_409_CONFLICT,
        )
    return Response(stored["data"], status=stored["status"], headers={"Idempotent-Replayed": "true"})


def idempotent(method):
    """Wrap an APIView `post` that creates something."""

    @wraps(method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return method(self, request, *args, **kwargs)
        if len(key) > 100:
            raise ApiError(code="validation_error", message=_("Idempotency-Key 不能超过 100 个字符"))
        fingerprint = _fingerprint(request)
        cache_key = "idempotency:" + hashlib.sha256(f"{_caller(request)}|{request.path}|{key}".encode()).hexdigest()
        if not cache.add(cache_key, {"state": "pending", "fingerprint": fingerprint}, PENDING_SECONDS):
            stored = cache.get(cache_key)
            if stored is not None:
                return _replay_or_refuse(stored, fingerprint)
            cache.add(cache_key, {"state": "pending", "fingerprint": fingerprint}, PENDING_SECONDS)
        try:
            response = method(self, request, *args, **kwargs)
        except BaseException:
            cache.delete(cache_key)
            raise
        if response.status_code >= 400 or not isinstance(response, Response):
            cache.delete(cache_key)
        else:
            cache.set(
                cache_key,
                {"state": "done", "fingerprint": fingerprint, "status": response.status_code, "data": response.data},
                KEEP_SECONDS,
            )
        return response

    wrapper.idempotent = True
    return wrapper
