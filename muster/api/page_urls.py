"""Pages about the API for people (signed in by session): a person's API tokens, the team's
provisioning clients, the API's documentation page."""

from django.urls import path

from . import docs_page
from .views import clients, tokens

app_name = "api_pages"
urlpatterns: list = [
    # A person's own tokens, and the team's provisioning clients (views/tokens.py, clients.py)
    path("tokens/", tokens.token_list, name="tokens"),
    path("tokens/new/", tokens.new_token, name="new_token"),
    path("tokens/<int:pk>/revoke/", tokens.revoke_token, name="revoke_token"),
    path("provisioning-clients/", clients.client_list, name="clients"),
    path("provisioning-clients/new/", clients.new_client, name="new_client"),
    path("provisioning-clients/<int:pk>/revoke/", clients.revoke_client, name="revoke_client"),
    # apiproof: the API's documentation, made from its OpenAPI document
    path("docs/", docs_page.api_docs, name="docs"),
]
