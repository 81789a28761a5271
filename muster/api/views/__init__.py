"""The API's pages for people signed in by session: their own tokens (tokens.py) and the
team's provisioning clients (clients.py)."""
