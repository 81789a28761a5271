"""SCIM 2.0 (RFC 7643, 7644) service-provider endpoints, read only, at /scim/v2/.

A trailing slash is accepted (identity systems differ on it); the searches by POST come
before `Users/<id>` so that ".search" is not read as an id; anything else under /scim/v2/
is a SCIM 404 (a client must get a SCIM Error, not a page).
"""

from django.urls import re_path

from . import views

app_name = "scim"

urlpatterns = [
    re_path(r"^ServiceProviderConfig/?$", views.service_provider_config,
            name="service_provider_config"),
    re_path(r"^Schemas/?$", views.schemas, name="schemas"),
    re_path(r"^Schemas/(?P<pk>[^/]+)/?$", views.schema, name="schema"),
    re_path(r"^ResourceTypes/?$", views.resource_types, name="resource_types"),
    re_path(r"^ResourceTypes/(?P<pk>[^/]+)/?$", views.resource_type, name="resource_type"),
    re_path(r"^(?:Users/|Groups/)?\.search/?$", views.not_supported, name="search"),
    re_path(r"^(?:Bulk|Me)(?:/.*)?$", views.not_supported, name="not_supported"),
    re_path(r"^Users/?$", views.users, name="users"),
    re_path(r"^Users/(?P<pk>[^/]+)/?$", views.user, name="user"),
    re_path(r"^Groups/?$", views.groups, name="groups"),
    re_path(r"^Groups/(?P<pk>[^/]+)/?$", views.group, name="group"),
    re_path(r"^.*$", views.not_found, name="not_found"),
]
