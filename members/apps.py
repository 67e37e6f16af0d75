from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("会员")

    def ready(self) -> None:
        # Services enqueue these tasks by name; importing the module registers the names in this process.
        from members import tasks  # noqa: F401
