"""API v1: requests (placeholder: operations to come)."""

from ninja import Router

router = Router(tags=["requests"])
