"""The snapshot writes that go past Django's cursor on PostgreSQL keep its guarantees."""

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from metrics.models import SNAPSHOT_KEY, Snapshot, Status
from metrics.periods import Grain, Period
from metrics.services import VALUE_FIELDS
from metrics.snapshot_writes import _in_key_order, write_rows
from tests.markers import needs_postgresql

pytestmark = pytest.mark.django_db(transaction=False)

TABLE = Snapshot._meta.db_table
MARCH = Period.parse("2026-03", Grain.MONTH)
UPDATE = [*VALUE_FIELDS, "computed_at", "frozen"]


def _row(**changes) -> dict:
    return {
        "subject_type": "org",
        "subject_id": 0,
        "kpi": "nps",
        "breakdown": "",
        "value": 40.0,
        "numerator": 6,
        "denominator": 12,
        "sample": 12,
        "parts": {},
        "margin_of_error": None,
        "low_sample": False,
        "target": None,
        "tolerance": None,
        "status": Status.NO_TARGET,
        "formula_version": 1,
    } | changes


def _shared() -> dict:
    from django.utils import timezone

    return {
        "grain": MARCH.grain,
        "period_start": MARCH.start,
        "computed_at": timezone.now(),
        "frozen": False,
    }


@pytest.mark.parametrize("update", [None, UPDATE], ids=["first write", "rewrite"])
def test_a_whole_number_computed_as_a_float_is_stored_as_the_count_it_is(update):
    write_rows(
        TABLE, [_row(sample=12.0, subject_id=0.0)], _shared(), unique=SNAPSHOT_KEY, update=update
    )
    stored = Snapshot.objects.get()
    assert (stored.sample, stored.subject_id, stored.value) == (12, 0, 40.0)


@needs_postgresql("SQLite's write goes through Django's cursor")
@pytest.mark.parametrize("update", [None, UPDATE], ids=["first write", "rewrite"])
def test_a_write_in_a_transaction_marked_for_rollback_is_refused_as_django_refuses_it(update):
    with transaction.atomic():
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            write_rows(TABLE, [_row()], _shared(), unique=SNAPSHOT_KEY, update=update)


def _rows(value_of) -> list[dict]:
    kpis = ["nps", "csat", "ces", "churn_rate"]
    return [
        _row(subject_type=kind, subject_id=subject, kpi=kpi, value=value_of(subject, n))
        for subject in (7, 3, 5)
        for kind in ("team", "brm")
        for n, kpi in enumerate(kpis)
    ]


def _stored() -> dict:
    return {
        (s.subject_type, s.subject_id, s.kpi): s.value
        for s in Snapshot.objects.filter(period_start=MARCH.start)
    }


def _expected(rows: list[dict]) -> dict:
    return {(r["subject_type"], r["subject_id"], r["kpi"]): r["value"] for r in rows}


def test_rows_in_any_order_are_all_stored_as_computed():
    # Written in the key's order on PostgreSQL: the order they were computed in must not
    # matter, nor which row carries which values.
    rows = _rows(lambda subject, n: float(subject * 10 + n))
    write_rows(TABLE, rows, _shared(), unique=SNAPSHOT_KEY, update=None)
    assert _stored() == _expected(rows)


def test_a_rewrite_in_another_order_updates_each_row_with_its_own_new_value():
    first = _rows(lambda subject, n: float(subject * 10 + n))
    write_rows(TABLE, first, _shared(), unique=SNAPSHOT_KEY, update=None)
    again = list(reversed(_rows(lambda subject, n: float(subject * 100 + n * 7))))
    write_rows(TABLE, again, _shared(), unique=SNAPSHOT_KEY, update=UPDATE)
    assert _stored() == _expected(again)
    assert Snapshot.objects.count() == len(again)


def test_rows_go_to_the_database_in_the_order_of_the_key_index():
    rows = [
        _row(subject_id=5, subject_type="team", kpi="nps"),
        _row(subject_id=3, subject_type="team", kpi="nps"),
        _row(subject_id=3, subject_type="brm", kpi="nps"),
        _row(subject_id=3, subject_type="brm", kpi="csat"),
        _row(subject_id=3, subject_type="brm", kpi="csat", breakdown="Renewal"),
    ]
    ordered = _in_key_order(rows, SNAPSHOT_KEY)
    assert [(r["subject_id"], r["subject_type"], r["kpi"], r["breakdown"]) for r in ordered] == [
        (3, "brm", "csat", ""),
        (3, "brm", "csat", "Renewal"),
        (3, "brm", "nps", ""),
        (3, "team", "nps", ""),
        (5, "team", "nps", ""),
    ]
    # A row the database will refuse keeps the order it came in, for the database to refuse.
    broken = [_row(subject_id=3), _row(subject_id=None)]
    assert _in_key_order(broken, SNAPSHOT_KEY) == broken


def test_a_row_without_its_subject_is_refused_by_the_database_not_the_sort():
    from django.db import IntegrityError

    rows = [_row(subject_id=3), _row(subject_id=None, kpi="csat")]
    with pytest.raises(IntegrityError), transaction.atomic():
        write_rows(TABLE, rows, _shared(), unique=SNAPSHOT_KEY, update=None)
    assert not Snapshot.objects.exists()
