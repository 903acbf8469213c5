from datetime import date

import pytest

from metrics.engine import compute
from metrics.periods import Period
from tests.factories import ClientFactory

MARCH = Period.parse("2026-03")
LONG_AGO = date(2025, 1, 1)


class KPIValues:
    """``compute()`` results indexed for assertions: ``values[alice, "nps"]``, with
    ``values.result(subject, kpi, breakdown)`` for the parts."""

    def __init__(self, period: Period, now=None):
        rows, _ = compute(period, now=now)
        self.rows = {(r.subject.type, r.subject.id, r.kpi.key, r.breakdown): r for r in rows}

    @staticmethod
    def _subject(who):
        if who == "org":
            return ("org", 0)
        kind = "team" if who.__class__.__name__ == "Team" else "brm"
        return (kind, who.pk)

    def row(self, who, kpi, breakdown=""):
        return self.rows[(*self._subject(who), kpi, breakdown)]

    def result(self, who, kpi, breakdown=""):
        return self.row(who, kpi, breakdown).result

    def __getitem__(self, key):
        who, kpi, *breakdown = key
        return self.result(who, kpi, *breakdown).value

    def breakdowns(self, who, kpi):
        subject = self._subject(who)
        return {
            key[3]: row.result.value
            for key, row in self.rows.items()
            if key[:3] == (*subject, kpi) and key[3]
        }


@pytest.fixture
def march_values():
    return lambda now=None: KPIValues(MARCH, now)


@pytest.fixture
def book_client():
    """A client in ``owner``'s book since long before the periods under test."""

    def make(owner, **kwargs):
        kwargs.setdefault("relationship_started_on", LONG_AGO)
        return ClientFactory(owner=owner, **kwargs)

    return make
