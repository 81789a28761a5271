"""Pages about the API for people (signed in by session): a person's API tokens, the team's
provisioning clients, the API's documentation page."""

from django.urls import path

from . import docs_page

app_name = "api_pages"
urlpatterns: list = [
    # apiproof: the API's documentation, made from its OpenAPI document
    path("docs/", docs_page.api_docs, name="docs"),
]
