"""What webhooks say about people and memberships. A person appears with their masked ID number only (never
the full number, a mobile or an address); the delivery itself goes through orgs.services.webhooks."""

from members.models import Membership, Person
from orgs.models import WebhookEndpoint
from orgs.services.webhooks import webhook_event_record, webhook_events_record

Event = WebhookEndpoint.Event


def person_payload(person: Person) -> dict:
    return {"id": person.pk, "name": person.name, "id_number_masked": person.id_number_masked}


def membership_payload(membership: Membership) -> dict:
    return {
        "id": membership.pk,
        "number": membership.number,
        "org_id": membership.org_id,
        "level": membership.level,
        "grade": membership.grade,
        "category": membership.category,
        "status": membership.status,
        "joined_on": membership.joined_on.isoformat(),
        "valid_through": membership.valid_through,
    }


def membership_event(*, event: str, membership: Membership, changes: dict | None = None) -> int:
    """Record a membership event in the caller's transaction; `changes` maps a field to [before, after]."""
    payload = {"membership": membership_payload(membership), "person": person_payload(membership.person)}
    if changes:
        payload["changes"] = changes
    return webhook_event_record(org=membership.org, event=event, payload=payload)


def memberships_created(*, org, memberships: list[Membership]) -> int:
    """membership.created for many new memberships of one organisation (a census import)."""
    return webhook_events_record(
        org=org,
        event=Event.MEMBERSHIP_CREATED,
        payloads=[{"membership": membership_payload(m), "person": person_payload(m.person)} for m in memberships],
    )
