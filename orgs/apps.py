from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = _("组织")

    def ready(self) -> None:
        from orgs import receivers  # noqa: F401 - connects the progress recompute to application decisions
