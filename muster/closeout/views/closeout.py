"""Scaffolding until this module is built: every view answers 404."""

from django.http import Http404


def closeout(request, *args, **kwargs):
    raise Http404("Not built yet.")


def choose_scenario(request, *args, **kwargs):
    raise Http404("Not built yet.")


def confirm_removal(request, *args, **kwargs):
    raise Http404("Not built yet.")


def record_archive(request, *args, **kwargs):
    raise Http404("Not built yet.")


def start_new_contract(request, *args, **kwargs):
    raise Http404("Not built yet.")


def sweep_runs(request, *args, **kwargs):
    raise Http404("Not built yet.")
