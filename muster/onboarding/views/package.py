"""Scaffolding until this module is built: every view answers 404."""

from django.http import Http404


def packages(request, *args, **kwargs):
    raise Http404("Not built yet.")


def send_package(request, *args, **kwargs):
    raise Http404("Not built yet.")


def package_page(request, *args, **kwargs):
    raise Http404("Not built yet.")


def package_print(request, *args, **kwargs):
    raise Http404("Not built yet.")


def package_pdf(request, *args, **kwargs):
    raise Http404("Not built yet.")


def calls(request, *args, **kwargs):
    raise Http404("Not built yet.")


def call_document(request, *args, **kwargs):
    raise Http404("Not built yet.")


def survey(request, *args, **kwargs):
    raise Http404("Not built yet.")


def survey_results(request, *args, **kwargs):
    raise Http404("Not built yet.")
