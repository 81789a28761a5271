from django.urls import path  # noqa: F401

# Served at the site's root (/healthz, /readyz, /metrics), without signing in.
urlpatterns: list = []
