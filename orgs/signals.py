from django.dispatch import Signal

# Sent after commit when organisations' progress changed, with `org_ids`: they were marked for a recount
# (orgs.services.progress.progress_schedule) or counted changes were recorded for them (progress_announce).
# The progress computation counts applications and memberships, so it lives in approvals, which listens and
# enqueues a debounced recompute; without a listener the marks and deltas wait for the periodic run.
progress_dirty = Signal()
