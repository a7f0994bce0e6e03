"""The example app's Celery app: settings from Django's (CELERY_*), tasks from each app's tasks.py.

Run a worker with `celery -A webstack_example worker`; the site's inventory declares it (webstack_processes).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webstack_example.settings")

app = Celery("webstack_example")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
