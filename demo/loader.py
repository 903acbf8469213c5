"""Writing the demo's rows in bulk with ids assigned here, so that replies, follow-ups and
answers can point at rows not yet written: PostgreSQL COPY, or ``bulk_create`` elsewhere."""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Sequence

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max

from demo.scale import TableLoad


class Loader:
    """Writes rows given as tuples of column values (attnames, in ``columns`` order). Columns
    left out get the field's default, so a field added later does not break the demo."""

    BATCH = 5000

    def __init__(self, *, method: str, progress: Callable[[str], None]):
        self.method = method
        self.progress = progress
        self.loads: dict[str, TableLoad] = {}
        self.models: set[type[models.Model]] = set()
        self.suspended: list[tuple[str, str, str]] = []

    def load(self, model: type[models.Model], columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        started = clock.perf_counter()
        missing = [
            f for f in model._meta.concrete_fields if f.attname not in columns and not f.primary_key
        ]
        names = [*columns, *(f.attname for f in missing)]
        defaults = tuple(f.get_default() for f in missing)
        if self.method == "copy":
            self._copy(model, names, rows, defaults)
        else:
            model.objects.bulk_create(
                [model(**dict(zip(names, row + defaults, strict=True))) for row in rows],
                batch_size=self.BATCH,
            )
        if "id" in columns:
            self.models.add(model)
        load = self.loads.setdefault(model._meta.db_table, TableLoad(model._meta.db_table))
        load.rows += len(rows)
        load.seconds += clock.perf_counter() - started

    def _copy(self, model, names: list[str], rows: list[tuple], defaults: tuple) -> None:
        quote = connection.ops.quote_name
        by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
        column_list = ", ".join(quote(by_attname[name]) for name in names)
        sql = f"COPY {quote(model._meta.db_table)} ({column_list}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            if defaults:
                for row in rows:
                    copy.write_row(row + defaults)
            else:
                for row in rows:
                    copy.write_row(row)

    def report(self, table: str) -> None:
        load = self.loads.get(table)
        if load:
            self.progress(
                f"{table:<32} {load.rows:>10,} rows {load.seconds:8.2f} s "
                f"{load.rows_per_second:>10,.0f} rows/s"
            )

    def suspend_foreign_keys(self, tables: list[type[models.Model]]) -> None:
        """Drop the foreign keys of the tables about to be loaded (PostgreSQL, inside the load's
        transaction). Checked row by row, as deferred triggers queued until the commit, they
        cost far more than the load; re-added, each is validated in one pass. As in
        pg_restore."""
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in tables:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                    self.suspended.append((table, name, definition))

    def restore_foreign_keys(self) -> None:
        quote = connection.ops.quote_name
        started = clock.perf_counter()
        with connection.cursor() as cursor:
            for table, name, definition in self.suspended:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )
        if self.suspended:
            self.progress(
                f"{'foreign keys checked':<32} {len(self.suspended):>10,} keys "
                f"{clock.perf_counter() - started:8.2f} s"
            )

    def analyze(self) -> None:
        """Give PostgreSQL statistics on the tables just loaded (after the commit). Without
        them, and before autovacuum gets round to it (if it runs at all), the planner guesses:
        the first queries after a large load, the demo's own survey invitations among them,
        can pick plans that scan a whole table once per row."""
        if connection.vendor != "postgresql" or not self.loads:
            return
        started = clock.perf_counter()
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(quote(table) for table in sorted(self.loads))}")
        self.progress(
            f"{'statistics (ANALYZE)':<32} {len(self.loads):>10,} tables "
            f"{clock.perf_counter() - started:8.2f} s"
        )

    def reset_sequences(self) -> None:
        """Ids were assigned here; move the database's id sequences past them."""
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.models))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


class Ids:
    """Hands out ids after the largest one already in each table."""

    def __init__(self):
        self.next: dict[type[models.Model], int] = {}

    def take(self, model: type[models.Model]) -> int:
        if model not in self.next:
            self.next[model] = (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        value = self.next[model]
        self.next[model] = value + 1
        return value
