from kexie.client_address import client_address, peer_is_trusted_proxy
from kexie.request_context import reset_client_ip, reset_credential, set_client_ip, set_credential


class ProxyHeadersMiddleware:
    """Forwarded headers count only when the socket peer is a trusted proxy (settings.TRUSTED_PROXIES).

    First in the stack: SecurityMiddleware's HTTPS redirect, secure cookies and HSTS read X-Forwarded-Proto
    through SECURE_PROXY_SSL_HEADER, which would otherwise believe any client that sends it.
    """

    FORWARDED = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not peer_is_trusted_proxy(request):
            for name in self.FORWARDED:
                request.META.pop(name, None)
        return self.get_response(request)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_client_ip(client_address(request))
        # API authentication sets the credential later in the request; resetting here undoes that too.
        credential = set_credential(None)
        try:
            return self.get_response(request)
        finally:
            reset_credential(credential)
            reset_client_ip(token)
