from django.apps import AppConfig


class KexieConfig(AppConfig):
    """The project package as an app only for what runs once per process: the in-process scheduler."""

    name = "kexie"
    verbose_name = "kexie"

    def ready(self) -> None:
        from kexie import scheduler

        scheduler.start_if_wanted()
