"""System checks of orgs' settings."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def audit_retention_check(app_configs, **kwargs):
    from orgs.services.audit import AUDIT_RETENTION_FLOOR_DAYS

    if settings.AUDIT_RETENTION_DAYS < AUDIT_RETENTION_FLOOR_DAYS:
        return [Warning(
            f"AUDIT_RETENTION_DAYS={settings.AUDIT_RETENTION_DAYS} is below the legal floor of "
            f"{AUDIT_RETENTION_FLOOR_DAYS} days; audit rows are kept {AUDIT_RETENTION_FLOOR_DAYS} days.",
            id="orgs.W001",
        )]
    return []
