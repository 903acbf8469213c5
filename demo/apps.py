from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation and ``manage.py seed_demo``. It makes records of every app (people,
    the book, surveys), so it sits above them all and no app imports it."""

    name = "demo"
    verbose_name = "Demo data"
