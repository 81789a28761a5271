"""Scaffolding until this module is built: every view answers 404."""

from django.http import Http404


def new_request(request, *args, **kwargs):
    raise Http404("Not built yet.")


def request_list(request, *args, **kwargs):
    raise Http404("Not built yet.")


def request_detail(request, *args, **kwargs):
    raise Http404("Not built yet.")


def cor_decision(request, *args, **kwargs):
    raise Http404("Not built yet.")


def lead_decision(request, *args, **kwargs):
    raise Http404("Not built yet.")
