"""Marks for tests whose subject only PostgreSQL has."""

import pytest
from django.db import connection


def needs_postgresql(reason: str) -> pytest.MarkDecorator:
    """Skip the test on SQLite (``make test`` with no ``DATABASE_URL``), saying ``reason``;
    CI runs every test on PostgreSQL."""
    return pytest.mark.skipif(connection.vendor != "postgresql", reason=reason)


# SQLite locks the whole database, not a row; in the in-memory database of the tests a second
# connection then fails at once ("database table is locked") instead of waiting as the app's
# SQLite file does (timeout 20 s, BEGIN IMMEDIATE: tests/test_embedded_database.py).
ROW_LOCKS = needs_postgresql("row locks held by another connection are PostgreSQL's")
