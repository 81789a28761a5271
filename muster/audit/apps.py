from django.apps import AppConfig
from django.tasks.signals import task_finished, task_started

from . import correlation


class AuditConfig(AppConfig):
    name = "muster.audit"
    verbose_name = "Audit record"

    def ready(self):
        task_started.connect(_task_started, dispatch_uid="muster.audit.task_started")
        task_finished.connect(_task_finished, dispatch_uid="muster.audit.task_finished")


# The worker runs one task at a time per thread; each task is its own action.
_task_tokens: dict = {}


def _task_started(sender, task_result, **kwargs):
    _task_tokens[task_result.id] = correlation.begin(f"task-{task_result.id}")


def _task_finished(sender, task_result, **kwargs):
    token = _task_tokens.pop(task_result.id, None)
    if token is not None:
        correlation.end(token)
