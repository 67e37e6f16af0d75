from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the domain refused the action; the message is shown to the user as is."""

    default_message = _("操作无法完成")
    # The API's stable error code and HTTP status for this kind of refusal (kexie.api.errors).
    code = "rule_violation"
    http_status = 400

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class OutOfScope(DomainError):
    """The object is outside the actor's subtree; views answer 404, exactly as for a missing object."""

    default_message = _("对象不存在")
    code = "not_found"
    http_status = 404
