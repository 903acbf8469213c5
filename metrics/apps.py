from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "KPIs and scorecards"

    def ready(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created

        from metrics import refresh

        connection_created.connect(refresh.install, dispatch_uid="metrics-refresh")
        # Connections opened before this app was ready get the wrapper too.
        for connection in connections.all(initialized_only=True):
            refresh.install(connection)
