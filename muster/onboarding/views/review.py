"""Scaffolding until this module is built: every view answers 404."""

from django.http import Http404


def review_queue(request, *args, **kwargs):
    raise Http404("Not built yet.")


def request_detail(request, *args, **kwargs):
    raise Http404("Not built yet.")


def ask_question(request, *args, **kwargs):
    raise Http404("Not built yet.")


def answer_question(request, *args, **kwargs):
    raise Http404("Not built yet.")


def mark_reviewed(request, *args, **kwargs):
    raise Http404("Not built yet.")


def approve_as_lead(request, *args, **kwargs):
    raise Http404("Not built yet.")


def record_meeting(request, *args, **kwargs):
    raise Http404("Not built yet.")


def decisions(request, *args, **kwargs):
    raise Http404("Not built yet.")


def decide(request, *args, **kwargs):
    raise Http404("Not built yet.")
