"""The Celery app.

Delivery is at-least-once: a task is acknowledged only after it finishes (``acks_late``) and is
handed back to the broker if its worker dies (``task_reject_on_worker_lost``), so every task must
be safe to run twice. Exactly one ``celery beat`` may run against a broker: two would enqueue every
periodic task twice.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
