from kexie.request_context import client_ip_from, reset_client_ip, reset_credential, set_client_ip, set_credential


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_client_ip(client_ip_from(request))
        # API authentication sets the credential later in the request; resetting here undoes that too.
        credential = set_credential(None)
        try:
            return self.get_response(request)
        finally:
            reset_credential(credential)
            reset_client_ip(token)
