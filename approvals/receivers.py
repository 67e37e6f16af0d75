"""Signal receivers of approvals, connected in ApprovalsConfig.ready(). Through them approvals takes part in
what the lower layers do (progress recounts, a person's data and account deletion, members' pages) without
orgs or members importing approvals."""

from django.conf import settings
from django.dispatch import receiver

from approvals import progress
from approvals.forms import RecommendForm
from approvals.models import Application
from approvals.selectors.applicant import applications_data, applications_of
from approvals.selectors.review import recommendation_state
from approvals.services import application_withdraw
from approvals.signals import application_decided
from kexie.scheduler import task_wake
from members import signals as member_signals
from members.models import Membership
from orgs.services.progress import progress_announce
from orgs.signals import progress_dirty


# --- progress -------------------------------------------------------------------------------------------------


@receiver(application_decided, dispatch_uid="approvals.progress_schedule")
def schedule_progress_recompute(sender, org_id: int, **kwargs) -> None:
    """The decision recorded its deltas in its transaction: wake the recompute that applies them."""
    progress_announce(org_ids=[org_id])


@receiver(member_signals.memberships_changed, dispatch_uid="approvals.progress_memberships_changed")
def record_membership_deltas(sender, changes, **kwargs) -> None:
    """Synchronously, in the membership change's transaction: its counted effect on the progress figures."""
    progress.memberships_change_record(changes=changes)


@receiver(progress_dirty, dispatch_uid="approvals.progress_recount_enqueue")
def progress_recount_enqueue(sender, org_ids, **kwargs) -> None:
    """Recount the marked orgs soon after the change that marked them: one run per burst, in whichever way this
    deployment runs jobs (kexie.scheduler.task_wake); a dead broker leaves the marks for the periodic run."""
    task_wake(
        progress.PROGRESS_RECOUNT_TASK,
        delay=settings.KEXIE_PROGRESS_DEBOUNCE_SECONDS,
        inprocess_delay=settings.KEXIE_PROGRESS_INPROCESS_DELAY_SECONDS,
    )


# --- a person's applications in members' data rights -----------------------------------------------------------


@receiver(member_signals.person_leaving, dispatch_uid="approvals.withdraw_open_applications")
def withdraw_open_applications(sender, person, **kwargs) -> int:
    """Deleting an account withdraws the person's open applications through the state machine."""
    withdrawn = 0
    for application in Application.objects.filter(person=person).open():
        application_withdraw(application=application, person=person)
        withdrawn += 1
    return withdrawn


_RECORDS = {
    "open": lambda applications: applications.open(),
    "decided": lambda applications: applications.exclude(status=Application.Status.WITHDRAWN),
    "any": lambda applications: applications,
}


@receiver(member_signals.person_records_exist, dispatch_uid="approvals.application_records_exist")
def application_records_exist(sender, person, question: str, **kwargs) -> bool:
    return _RECORDS[question](Application.objects.filter(person=person)).exists()


@receiver(member_signals.person_data_collected, dispatch_uid="approvals.person_data_applications")
def person_data_applications(sender, person, **kwargs) -> dict:
    return {"applications": applications_data(person)}


# --- members' pages -------------------------------------------------------------------------------------------


@receiver(member_signals.home_page_shown, dispatch_uid="approvals.home_page_applications")
def home_page_applications(sender, person, **kwargs) -> dict:
    """The latest applications, and those being handled, which the home page follows instead of the steps."""
    applications = list(applications_of(person)[:5])
    return {
        "applications": applications,
        "open_applications": [a for a in applications if a.is_open],
    }


@receiver(member_signals.account_delete_page_shown, dispatch_uid="approvals.account_delete_page_applications")
def account_delete_page_applications(sender, person, **kwargs) -> dict:
    applications = list(applications_of(person))
    return {
        "open_applications": [a for a in applications if a.is_open],
        "decided_applications": [a for a in applications if a.status in ("approved", "rejected")],
    }


@receiver(member_signals.member_page_shown, dispatch_uid="approvals.member_page_recommend_form")
def member_page_recommend_form(sender, membership, user, **kwargs) -> dict:
    """The member's page says whether this member was already recommended upward and offers the form where a
    recommendation is possible; approvals:member_recommend handles its submission."""
    state = recommendation_state(
        user, org=membership.org, person=membership.person, source_open=membership.status == Membership.Status.ACTIVE
    )
    if state is None:
        return {}
    return {"recommendation": state, "recommend_form": RecommendForm(auto_id="id_%s") if state.possible else None}
