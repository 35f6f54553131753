# Load the Celery app with Django so that `shared_task`s sent from the web use it.
from celery_app import app as celery_app

__all__ = ("celery_app",)
