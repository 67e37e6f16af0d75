"""Signals members sends so that higher apps (approvals) can take part without members importing them.

Receivers are connected in the higher app's AppConfig.ready(). Without receivers members works on its own:
no records of other apps, nothing added to its pages.
"""

from django.dispatch import Signal

# Sent inside account_delete's transaction, with `person`, before the person's own data is removed: an app
# that keeps open business of the person ends it (approvals withdraws open applications) and returns how many
# items it closed.
person_leaving = Signal()

# Asks whether records of a higher app refer to `person`; receivers return a bool for `question`:
#   "open"    business in progress (consent cannot be withdrawn while a reviewer needs the ID number);
#   "decided" decided records that must keep the ID number (duplicate checks, certificates);
#   "any"     any record at all (such records protect the person row, which is then kept restricted).
person_records_exist = Signal()

# Pages of members that also show records kept by higher apps. Each receiver returns a dict merged into the
# page's context (or into the "my data" sections); `person` may be None for an account without a profile.
home_page_shown = Signal()  # person: the applicant's home page ("我的")
account_delete_page_shown = Signal()  # person: what deleting the account will withdraw or keep
person_data_collected = Signal()  # person: sections of "my data" and its downloads
member_page_shown = Signal()  # membership, user: a member's console page, for an administrator who manages it


def page_context(signal: Signal, sender, **kwargs) -> dict:
    """The dicts returned by the receivers of a page signal, merged."""
    context = {}
    for _receiver, extra in signal.send(sender=sender, **kwargs):
        context.update(extra or {})
    return context

# Sent inside the transaction of a membership change, with `changes`: a list of (before, after) Membership
# instances (before None for a new membership). approvals records the change's effect on the progress figures
# as counted deltas in the same transaction, so a rolled-back change leaves none.
memberships_changed = Signal()
