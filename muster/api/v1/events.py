"""API v1: events (placeholder: operations to come)."""

from ninja import Router

router = Router(tags=["events"])
