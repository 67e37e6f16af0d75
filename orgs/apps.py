from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = _("组织")

    def ready(self) -> None:
        # Services enqueue these tasks by name; importing the modules registers the names and the system check.
        from orgs import checks, tasks  # noqa: F401
        from orgs.audit_actions import ORG_ACTIONS, audit_actions_name

        audit_actions_name(ORG_ACTIONS)
