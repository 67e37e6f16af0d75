from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("审核与推荐")

    def ready(self) -> None:
        # Connects approvals to the signals of orgs and members (progress recounts, data rights, members' pages)
        # and registers the progress tasks by name in this process.
        from approvals import receivers, tasks  # noqa: F401
