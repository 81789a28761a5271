"""API v1: contracts (placeholder: operations to come)."""

from ninja import Router

router = Router(tags=["contracts"])
