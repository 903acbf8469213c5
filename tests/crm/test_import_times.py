"""Import date-times without an offset are wall-clock time in the organisation's time zone;
one that does not exist there (clocks forward) or exists twice (clocks back) is refused with
its line, as the web forms refuse it, and an explicit offset says which instant is meant."""

from datetime import UTC, datetime

import pytest

from crm.imports.services import records_import
from surveys.models import Response

HEADER = "client,kind,score,answered_at\n"


@pytest.fixture
def acme(alices_client):
    return alices_client


def run(rows: str):
    return records_import(record_type="survey_answers", data=(HEADER + rows).encode(), by=None)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # Skipped when the clocks go forward.
        (
            "Acme Logistics,nps,9,2025-03-29 09:00\nAcme Logistics,nps,9,2025-03-30 01:30\n",
            (
                3,
                'answered_at "2025-03-30 01:30" does not exist in Europe/London (the clocks go '
                "forward): give it with an offset, 2025-03-30T01:30:00+00:00 or "
                "2025-03-30T01:30:00+01:00.",
            ),
        ),
        # Happens twice when the clocks go back.
        (
            "Acme Logistics,nps,9,2025-10-26 01:30\n",
            (
                2,
                'answered_at "2025-10-26 01:30" happens twice in Europe/London (the clocks go '
                "back): add the offset, 2025-10-26T01:30:00+01:00 for the first or "
                "2025-10-26T01:30:00+00:00 for the second.",
            ),
        ),
    ],
    ids=["clocks go forward", "clocks go back"],
)
def test_a_local_time_that_does_not_name_one_instant_is_refused_with_its_line(acme, rows, expected):
    report = run(rows)
    assert [(error.line, error.message) for error in report.errors] == [expected]
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    ("cell", "instant"),
    [
        ("2025-10-26T01:30:00+01:00", datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),
        ("2025-10-26T01:30:00+00:00", datetime(2025, 10, 26, 1, 30, tzinfo=UTC)),
        ("2025-03-30T01:30:00+00:00", datetime(2025, 3, 30, 1, 30, tzinfo=UTC)),
        ("2025-10-26 02:30", datetime(2025, 10, 26, 2, 30, tzinfo=UTC)),
        ("2025-03-30 02:30", datetime(2025, 3, 30, 1, 30, tzinfo=UTC)),
    ],
)
def test_an_explicit_offset_or_an_unambiguous_local_time_is_one_instant(acme, cell, instant):
    report = run(f"Acme Logistics,nps,9,{cell}\n")
    assert report.saved, report.errors
    assert Response.objects.get().answered_at == instant
