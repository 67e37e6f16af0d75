"""The current request's client IP, for audit rows written deep inside services."""

from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
# The credential of an API request other than the account's own sign-in ("service_token:<id>"), for audit rows.
_credential: ContextVar[str | None] = ContextVar("credential", default=None)


def set_client_ip(ip: str | None):
    return _client_ip.set(ip)


def reset_client_ip(token) -> None:
    _client_ip.reset(token)


def current_client_ip() -> str | None:
    return _client_ip.get()


def set_credential(label: str | None):
    return _credential.set(label)


def reset_credential(token) -> None:
    _credential.reset(token)


def current_credential() -> str | None:
    return _credential.get()
