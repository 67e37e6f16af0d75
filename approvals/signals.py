from django.dispatch import Signal

# Sent after commit whenever an application or recommendation in `org_id` changes state; the progress
# feature listens to schedule a debounced recount.
application_decided = Signal()
