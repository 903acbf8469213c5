"""What a refused or rejected request must leave untouched: the rows of every table the app
owns (log-in bookkeeping, sessions and axes' attempt log, is expected to change)."""

from django.apps import apps

APPS = ("accounts", "crm", "surveys", "metrics")


def row_counts() -> dict[str, int]:
    """The number of rows in each of the app's tables, by model label."""
    return {
        model._meta.label: model._default_manager.count()
        for app in APPS
        for model in apps.get_app_config(app).get_models()
    }


def changed_tables(before: dict[str, int]) -> dict[str, tuple[int, int]]:
    """The tables whose row count is not what it was in ``before``: {label: (before, now)}."""
    now = row_counts()
    return {label: (before[label], now[label]) for label in before if before[label] != now[label]}
