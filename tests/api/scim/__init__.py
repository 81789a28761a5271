"""The SCIM 2.0 feed at /scim/v2/ (issue 15): read only, for provisioning clients."""
