from django.urls import path

from . import views

# Served at the site's root (/healthz, /readyz, /metrics), without signing in. No
# namespace: probes and scrapers are configured with these bare paths, and
# SECURE_REDIRECT_EXEMPT names them.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_view, name="metrics"),
]
