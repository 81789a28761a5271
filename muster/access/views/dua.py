"""Scaffolding until this module is built: every view answers 404."""

from django.http import Http404


def dua_page(request, *args, **kwargs):
    raise Http404("Not built yet.")


def upload(request, *args, **kwargs):
    raise Http404("Not built yet.")


def invalidate(request, *args, **kwargs):
    raise Http404("Not built yet.")


def document(request, *args, **kwargs):
    raise Http404("Not built yet.")
