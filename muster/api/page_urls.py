"""Pages about the API for people (signed in by session): a person's API tokens, the team's
provisioning clients, the API's documentation page."""

app_name = "api_pages"
urlpatterns: list = []
