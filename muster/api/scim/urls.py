"""SCIM 2.0 (RFC 7643, 7644) service-provider endpoints, read only (placeholder)."""

app_name = "scim"
urlpatterns: list = []
