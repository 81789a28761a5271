"""API v1: who the token acts as (a first call that checks a token works)."""

import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from muster.accounts import permissions

from ..problems import COMMON

router = Router(tags=["me"])


class Me(Schema):
    email: str
    full_name: str
    team_roles: list[str]
    token_name: str
    token_scope: str
    token_expires_at: datetime.datetime


@router.get("", response={200: Me, **COMMON}, operation_id="me",
            summary="Who the token acts as")
def me(request: HttpRequest):
    token = request.auth  # type: ignore[attr-defined]
    user = token.user
    return Me(email=user.email, full_name=user.full_name,
              team_roles=sorted(permissions.team_roles(user)), token_name=token.name,
              token_scope=token.scope, token_expires_at=token.expires_at)
