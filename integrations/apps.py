from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        # Webhooks listen to the domain events of the layers below; importing connects them.
        from integrations.webhooks import events  # noqa: F401
