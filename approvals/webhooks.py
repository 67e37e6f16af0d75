"""What webhooks say about applications and recommendations (people with masked ID numbers only, through
members.webhooks); the delivery itself goes through orgs.services.webhooks."""

from approvals.models import Application, Recommendation
from members.webhooks import Event, person_payload
from orgs.services.webhooks import webhook_event_record


def application_payload(application: Application) -> dict:
    return {
        "id": application.pk,
        "org_id": application.org_id,
        "status": application.status,
        "meets_criteria": application.meets_criteria,
        "submitted_at": application.submitted_at,
        "decided_at": application.decided_at,
        "recommendation_id": application.recommendation_id,
    }


def application_event(*, event: str, application: Application, **extra) -> int:
    """application.submitted or application.decided, in the caller's transaction."""
    payload = {"application": application_payload(application), "person": person_payload(application.person), **extra}
    return webhook_event_record(org=application.org, event=event, payload=payload)


def recommendation_created(*, recommendation: Recommendation, application: Application) -> int:
    """Recorded on the recommending organisation: its endpoints and those of every organisation above it
    (the receiving one included) hear it. The application it opened upstream is an application.submitted."""
    payload = {
        "recommendation": {
            "id": recommendation.pk,
            "from_org_id": recommendation.from_org_id,
            "to_org_id": recommendation.to_org_id,
            "created_at": recommendation.created_at,
            "application_id": application.pk,
        },
        "person": person_payload(recommendation.person),
    }
    count = webhook_event_record(org=recommendation.from_org, event=Event.RECOMMENDATION_CREATED, payload=payload)
    return count + application_event(event=Event.APPLICATION_SUBMITTED, application=application)
