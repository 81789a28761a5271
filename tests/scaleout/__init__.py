"""The scale-out proof: HAProxy, two gunicorn instances, two workers, one PostgreSQL."""
