import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kexie.settings.local")

app = Celery("kexie")
# Settings are read from Django's settings under the CELERY_ namespace; with REDIS_URL unset
# base.py makes tasks run eagerly in-process, so development needs no broker.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
