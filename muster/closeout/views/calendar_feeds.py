"""Scaffolding until this module is built: every view answers 404."""

from django.http import Http404


def manage(request, *args, **kwargs):
    raise Http404("Not built yet.")


def person_feed(request, *args, **kwargs):
    raise Http404("Not built yet.")


def contract_feed(request, *args, **kwargs):
    raise Http404("Not built yet.")
