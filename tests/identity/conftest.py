"""Fixtures of the identity tests: the closeout tests' live contract and daily sweep, for
closeout scenario 1 (a re-award naming a new SO and SPOC)."""

from tests.closeout.conftest import scene, sweep_on

__all__ = ["scene", "sweep_on"]
