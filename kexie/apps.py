from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    # Replaces django.contrib.admin in INSTALLED_APPS so `admin.site` is kexie's, with the checked login.
    default_site = "kexie.admin_site.AdminSite"


class KexieConfig(AppConfig):
    """The project package as an app only for what runs once per process: the in-process scheduler."""

    name = "kexie"
    verbose_name = "kexie"
    default = False

    def ready(self) -> None:
        from kexie import scheduler

        scheduler.start_if_wanted()
