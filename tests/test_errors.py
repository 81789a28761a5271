"""One hierarchy of domain errors (muster/errors.py): a role refusal is Django's
PermissionDenied, so the 403 page shows it without any view converting it, and every
other refusal is a DomainError that muster/actions.py shows as a message or form error."""

import ast
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from muster import workflow
from muster.access import additional, dua, grants, guards
from muster.closeout import rules as closeout
from muster.errors import DomainError, NotAllowed
from muster.onboarding import services as onboarding
from muster.timeline import services as timeline

MUSTER = Path(__file__).resolve().parent.parent / "muster"


@pytest.mark.parametrize("module", [onboarding, grants, additional, workflow])
def test_every_app_refuses_a_role_with_the_one_not_allowed_that_is_a_403(module):
    assert module.NotAllowed is NotAllowed
    assert issubclass(NotAllowed, PermissionDenied)


@pytest.mark.parametrize("error", [
    onboarding.OnboardingError, onboarding.StaleRequest, guards.AccessError,
    guards.InvalidMember, additional.AdditionalServiceError, additional.StaleRequest,
    dua.DuaError, closeout.CloseoutError, timeline.StepError,
])
def test_every_refusal_with_a_message_is_a_domain_error(error):
    assert issubclass(error, DomainError)
    assert not issubclass(error, PermissionDenied)


def test_a_dua_error_is_not_an_onboarding_error():
    assert not issubclass(dua.DuaError, onboarding.OnboardingError)


def _caught_names(handler: ast.ExceptHandler) -> set[str]:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {ast.unparse(kind).rsplit(".", 1)[-1] for kind in kinds if kind is not None}


def test_no_view_catches_not_allowed_by_hand():
    """The 403 handler shows a NotAllowed's message: a view that caught it to raise
    PermissionDenied again would only repeat that."""
    views = [*MUSTER.glob("*/views.py"), *MUSTER.glob("*/views/*.py")]
    assert views
    found = [
        f"{path.relative_to(MUSTER)}:{node.lineno}"
        for path in views
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ExceptHandler) and "NotAllowed" in _caught_names(node)
    ]
    assert found == []


def test_the_errors_module_imports_nothing_from_the_apps():
    tree = ast.parse((MUSTER / "errors.py").read_text())
    imported = [
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
         for alias in node.names]
    assert [name for name in imported if name and name.startswith("muster")] == []
