"""Survey answers on a client's timeline. The book's timeline (``crm.selectors.client_timeline``)
knows nothing of surveys: this source is registered from ``SurveysConfig.ready``."""

from __future__ import annotations

from crm.models import Client
from crm.selectors import TimelineEvent
from surveys.models import Response


def answer_events(client: Client, limit: int | None) -> list[TimelineEvent]:
    """The client's survey answers as timeline events, newest first, at most ``limit`` (all
    with ``None``). One query."""
    answers = (
        Response.objects.filter(client=client)
        .select_related("contact")
        .order_by("-answered_at", "-pk")[:limit]
    )
    return [
        TimelineEvent(
            answer.answered_at,
            "survey",
            answer,
            label="Survey answer",
            template="surveys/partials/timeline_answer.html",
        )
        for answer in answers
    ]
