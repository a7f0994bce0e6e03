"""WSGI entry point (gunicorn: webstack_example.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webstack_example.settings")

application = get_wsgi_application()
