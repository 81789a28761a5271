"""Muster's OpenID Connect provider: django-allauth's, with a nonce (sso.py checks it)."""
