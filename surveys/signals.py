"""Survey events other apps react to (webhooks). Sent after the transaction commits, ids only."""

from django.dispatch import Signal

# A new confirmed answer. kwargs: response_id, needs_closing_the_loop (a detractor or an unhappy
# CSAT answer, for which a follow-up was opened).
answer_recorded = Signal()
