"""Signals of the ground layer that apps above answer (accounts imports none of them)."""

from django.dispatch import Signal

# The administration site gave a person a team role (an administrator added a team
# member). Sent inside the admin's transaction with `actor` (who did it) and
# `team_role`. muster/identity invites the person if they have no way to sign in yet.
team_role_added = Signal()
