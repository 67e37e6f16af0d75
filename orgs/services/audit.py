"""The audit trail: one append-only row per write, in the writer's transaction."""

from django.db import models

from kexie.request_context import current_client_ip, current_credential
from orgs.models import AuditEvent, Org


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    org: Org | None = None,
    comment: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Append an audit row in the caller's transaction; the IP comes from the current request, if any, and
    so does the service token an API call acted through."""
    credential = current_credential()
    if credential:
        data = {**(data or {}), "credential": credential}
    return AuditEvent.objects.create(
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        ip=current_client_ip(),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        org=org,
        comment=comment,
        data=data or {},
    )
