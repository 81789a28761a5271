"""The API authorization matrix's table for requests (onboarding and additional-service
requests, their decisions): filled in by the requests area (see matrix_format.py)."""

from tests.api.matrix_format import Operation

OPERATIONS: dict[str, Operation] = {}
