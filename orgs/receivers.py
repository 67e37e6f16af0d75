"""Signal receivers of the orgs app, connected in OrgsConfig.ready()."""

from django.dispatch import receiver

from approvals.signals import application_decided
from orgs import services


@receiver(application_decided, dispatch_uid="orgs.progress_schedule")
def schedule_progress_recompute(sender, org_id: int, **kwargs) -> None:
    services.progress_schedule(org_ids=[org_id])
