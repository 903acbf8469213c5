"""KPI events other apps react to (webhooks). Sent after the transaction commits."""

from django.dispatch import Signal

# A period's snapshots were frozen as history. kwargs: grain, period_start (a date), rows.
period_frozen = Signal()
