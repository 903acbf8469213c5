"""The worklist CSV's unhappy answers: ``crm.worklist`` knows nothing of surveys, so this
section is registered from ``SurveysConfig.ready`` (``crm.worklist.register_worklist_section``)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from accounts.models import User
from crm.worklist import WorklistRow
from surveys.selectors import worklist_detractors


def detractor_rows(user: User, now: datetime) -> list[WorklistRow]:
    """One row per unhappy answer with no closed loop that ``user`` reads: who owes its
    follow-up, the client, the kind and score, the day it was given (and days since), the
    comment. Two queries."""
    today = timezone.localdate(now)
    rows = []
    for answer in worklist_detractors(user):
        answered_on = timezone.localdate(answer.answered_at)
        rows.append(
            WorklistRow(
                "open detractor",
                answer.follow_up.owner.email,
                answer.client.name,
                f"{answer.get_kind_display()} {answer.score}",
                answered_on,
                (today - answered_on).days,
                answer.comment,
            )
        )
    return rows
