from django.dispatch import Signal

# Sent when organisations were marked for a progress recount (orgs.services.progress.progress_schedule), with
# `org_ids`. The progress computation counts applications and memberships, so it lives in approvals, which
# listens and enqueues a debounced recount; without a listener the marks wait for the periodic run.
progress_dirty = Signal()
