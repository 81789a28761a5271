"""Scaffolding until this module is built: every view answers 404."""

from django.http import Http404


def my_notifications(request, *args, **kwargs):
    raise Http404("Not built yet.")


def notification_detail(request, *args, **kwargs):
    raise Http404("Not built yet.")


def outbox(request, *args, **kwargs):
    raise Http404("Not built yet.")


def retry(request, *args, **kwargs):
    raise Http404("Not built yet.")
