"""Scaffolding until this module is built: every view answers 404."""

from django.http import Http404


def roster(request, *args, **kwargs):
    raise Http404("Not built yet.")


def add_user(request, *args, **kwargs):
    raise Http404("Not built yet.")


def import_csv(request, *args, **kwargs):
    raise Http404("Not built yet.")


def import_preview(request, *args, **kwargs):
    raise Http404("Not built yet.")


def export_csv(request, *args, **kwargs):
    raise Http404("Not built yet.")


def member(request, *args, **kwargs):
    raise Http404("Not built yet.")


def remove_user(request, *args, **kwargs):
    raise Http404("Not built yet.")


def grant(request, *args, **kwargs):
    raise Http404("Not built yet.")


def confirm_grant(request, *args, **kwargs):
    raise Http404("Not built yet.")


def revoke_grant(request, *args, **kwargs):
    raise Http404("Not built yet.")


def my_access(request, *args, **kwargs):
    raise Http404("Not built yet.")


def pending_grants(request, *args, **kwargs):
    raise Http404("Not built yet.")
