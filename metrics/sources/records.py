"""Where a KPI's records come from, for its drill-down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import (
    Q,
    QuerySet,
)

from metrics.periods import Window
from metrics.sql import boolean


@dataclass(frozen=True)
class Records:
    """Where a KPI's records come from: ``source`` narrowed to the denominator by ``where``
    and to a subject through its ``owner`` column; ``numerator`` marks the records counted
    above the line (annotated as ``in_numerator``)."""

    source: Callable[[Window], QuerySet]
    # The credited owner's column, or a condition scoping the records to some owners.
    owner: str | Callable[[Window, list[int]], Q] = "owner_id"
    where: Q = field(default_factory=Q)
    numerator: Q | None = None

    def queryset(self, window: Window, owner_ids: list[int] | None) -> QuerySet:
        records = self.source(window).filter(self.where)
        if owner_ids is not None and callable(self.owner):
            records = records.filter(self.owner(window, owner_ids))
        elif owner_ids is not None:
            records = records.filter(**{f"{self.owner}__in": owner_ids})
        if self.numerator is not None:
            records = records.annotate(in_numerator=boolean(self.numerator))
        return records
