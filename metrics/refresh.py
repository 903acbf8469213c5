"""Fresh within a minute: every committed write to a KPI input schedules one recomputation of
the open periods, debounced.

What counts as a write is decided where every write passes, the database connection
(Django's ``execute_wrapper``): an ``INSERT``, ``UPDATE`` or ``DELETE`` on a table the KPIs read
(every book record of ``crm``, survey invitations and answers, targets, team membership). Model
signals would miss ``QuerySet.update()`` and ``bulk_create``, which the services and imports
use, and a list of service calls would miss the next service someone adds.

After the transaction commits, ``schedule_refresh`` queues ``metrics.tasks.refresh_open_periods``
with a countdown of ``KPI_REFRESH_DELAY_SECONDS``, unless one is already pending: the pending
mark is a cache key that lives as long as the countdown (``cache.add`` is atomic), so a burst of
writes costs one run. The run clears the mark as it begins, so a write after that queues the
next run and none is missed. The task itself holds a lock so that two runs never overlap.
Nothing is written for a rolled-back transaction. The hourly beat run stays as the safety
net, also for writes made while Redis was down.
"""

from __future__ import annotations

import logging
import re
from functools import cache as memoise

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

PENDING_KEY = "metrics:refresh:pending"
RUNNING_KEY = "metrics:refresh:running"
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z0-9_]+)"?', re.I)


@memoise
def input_tables() -> frozenset[str]:
    """Tables whose rows a KPI reads: every ``crm`` table (with its many-to-many links),
    survey invitations and answers, targets and team membership."""
    models = list(apps.get_app_config("crm").get_models(include_auto_created=True))
    models += [
        apps.get_model("surveys", "Invitation"),
        apps.get_model("surveys", "Response"),
        apps.get_model("metrics", "Target"),
        apps.get_model("accounts", "TeamMembership"),
    ]
    return frozenset(model._meta.db_table for model in models)


def writes_kpi_input(sql: str) -> bool:
    match = _WRITE.match(sql)
    return bool(match) and match[1] in input_tables()


def notice_writes(execute, sql, params, many, context):
    """``execute_wrapper`` for every connection: a write to a KPI input schedules a refresh
    after commit (once per transaction)."""
    result = execute(sql, params, many, context)
    if settings.KPI_REFRESH_AFTER_WRITES and writes_kpi_input(sql):
        connection = context["connection"]
        # One callback per transaction: one already registered runs whenever this write
        # survives (a rollback to a savepoint drops both, released savepoints cannot be rolled
        # back), so a loop of saves adds one, not one each.
        queued = any(func is schedule_refresh for _, func, _ in connection.run_on_commit)
        if not queued:
            transaction.on_commit(schedule_refresh, using=connection.alias)
    return result


def install(connection, **kwargs) -> None:
    """``connection_created`` receiver: wrap the new connection's queries once."""
    if notice_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(notice_writes)


def schedule_refresh() -> bool:
    """Queue a refresh of the open periods in ``KPI_REFRESH_DELAY_SECONDS`` unless one is
    pending already. Returns whether this call queued it. Never raises: the write it follows
    has committed, and the beat run catches up if the broker or the cache is down."""
    from metrics.tasks import refresh_open_periods

    delay = settings.KPI_REFRESH_DELAY_SECONDS
    try:
        if not cache.add(PENDING_KEY, 1, timeout=delay):
            return False
        refresh_open_periods.apply_async(countdown=delay)
        return True
    except Exception:  # a failed schedule must not turn a saved write into an error page
        logger.warning("Could not schedule a KPI refresh; the hourly run will catch up.")
        return False
