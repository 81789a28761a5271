"""API v1: access (placeholder: operations to come)."""

from ninja import Router

router = Router(tags=["access"])
