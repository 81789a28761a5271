"""Scaffolding until this module is built: every view answers 404."""

from django.http import Http404


def intake_start(request, *args, **kwargs):
    raise Http404("Not built yet.")


def intake_review(request, *args, **kwargs):
    raise Http404("Not built yet.")


def intake_screen(request, *args, **kwargs):
    raise Http404("Not built yet.")
