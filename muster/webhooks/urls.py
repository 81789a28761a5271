"""The team's webhook pages (placeholder)."""

app_name = "webhooks"
urlpatterns: list = []
