"""Scaffolding until this module is built: every view answers 404."""

from django.http import Http404


def solicitation_new(request, *args, **kwargs):
    raise Http404("Not built yet.")


def award(request, *args, **kwargs):
    raise Http404("Not built yet.")
