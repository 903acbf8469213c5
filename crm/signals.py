"""Domain events other apps react to. Sent after the transaction commits, with ids only."""

from django.dispatch import Signal

# kwargs: issue_id
issue_resolved = Signal()
# kwargs: project_id
project_completed = Signal()
# kwargs: client_id, status_change_id
client_churned = Signal()
