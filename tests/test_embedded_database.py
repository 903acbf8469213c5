"""The embedded database (SQLite, no ``DATABASE_URL``) shared by web, worker and beat: a second
writer waits for the first instead of losing its write (``settings.EMBEDDED_DATABASE_OPTIONS``).

The test database of ``make test`` is in memory, where a second connection fails at once; these
tests open two connections to a SQLite file with the app's own options, whatever database the
rest of the suite runs on."""

import threading
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.db import OperationalError, connections, transaction

ALIAS = "embedded_file"
HOLD_SECONDS = 0.5


@pytest.fixture
def embedded_file(tmp_path, django_db_blocker) -> Iterator[Callable[[dict], str]]:
    """A function of SQLite connection options that opens a fresh SQLite file with them, makes
    its ``book(n)`` table and returns the file's connection alias."""

    def open_with(options: dict) -> str:
        raw = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
        configured = connections.configure_settings(
            {"default": dict(raw), ALIAS: {**raw, "OPTIONS": options}}
        )
        connections.settings[ALIAS] = configured[ALIAS]
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS book (n integer NOT NULL)")
        connections[ALIAS].close()
        return ALIAS

    with django_db_blocker.unblock():
        try:
            yield open_with
        finally:
            # This thread's connection too: the next test's file is another one.
            connections[ALIAS].close()
            del connections[ALIAS]
            del connections.settings[ALIAS]


def _read_then_write(out: dict, started: threading.Event | None = None, release=None):
    """One writer in its own thread and connection: read how many rows there are, then add the
    next number (a read-then-write, as a service numbering records does). With ``started`` and
    ``release``: signal ``started`` once read, and hold the transaction open until ``release``
    is set."""
    try:
        with transaction.atomic(using=ALIAS), connections[ALIAS].cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM book")
            seen = cursor.fetchone()[0]
            if started is not None:
                started.set()
                release.wait(5)
            cursor.execute("INSERT INTO book (n) VALUES (%s)", [seen + 1])
        out["seen"] = seen
    except OperationalError as error:
        out["error"] = str(error)
    finally:
        if started is not None:
            started.set()
        connections[ALIAS].close()


def _two_writers(alias: str, hold: float) -> tuple[dict, dict, list[int], bool]:
    """A first writer holds its transaction open while a second one reads then writes; the
    first goes on once the second has finished or has waited ``hold`` seconds. Returns what
    each saw, the numbers stored, and whether the second was still waiting then."""
    first, second = {}, {}
    first_started, release = threading.Event(), threading.Event()
    one = threading.Thread(target=_read_then_write, args=(first, first_started, release))
    one.start()
    assert first_started.wait(5)
    two = threading.Thread(target=_read_then_write, args=(second,))
    two.start()
    # However slow the machine, the first writer stays open until the second is done or blocked.
    two.join(hold)
    second_waited = two.is_alive()
    release.set()
    one.join(10)
    two.join(10)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT n FROM book ORDER BY n")
        stored = [n for (n,) in cursor.fetchall()]
    return first, second, stored, second_waited


def test_a_second_writer_waits_for_the_first_and_both_writes_are_kept(embedded_file):
    alias = embedded_file(dict(settings.EMBEDDED_DATABASE_OPTIONS))

    first, second, stored, second_waited = _two_writers(alias, hold=HOLD_SECONDS)

    assert second_waited
    assert "error" not in first and "error" not in second
    # The second writer's read came after the first one's commit: it numbered its row 2.
    assert (first["seen"], second["seen"]) == (0, 1)
    assert stored == [1, 2]


def test_without_the_write_lock_at_begin_a_read_then_write_would_fail(embedded_file):
    # What the app's options prevent: SQLite's default BEGIN takes the write lock only at the
    # first write, and a reader whose snapshot another writer has since changed cannot upgrade:
    # it fails at once, whatever the timeout.
    options = {**settings.EMBEDDED_DATABASE_OPTIONS, "transaction_mode": "DEFERRED"}
    alias = embedded_file(options)

    # Long enough for a slow machine: the second writer is not blocked and ends the wait.
    first, second, stored, second_waited = _two_writers(alias, hold=10)

    assert not second_waited
    # The second writer took the write lock the first had not, and committed; the first could
    # no longer write what it had read.
    assert second["seen"] == 0
    assert "locked" in first.get("error", "")
    assert stored == [1]
