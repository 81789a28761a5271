"""The product's URLs plus one bare view, for the load benchmark only (load_settings.py).

The bare view goes through the same middleware as every page (session, signed-in user,
CSRF, security headers) and answers a few bytes without touching the database itself:
the floor a page's latency is compared with.
"""

from django.http import HttpResponse
from django.urls import path

from muster.urls import handler400, handler403, handler404, handler500  # noqa: F401
from muster.urls import urlpatterns as product_urlpatterns


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *product_urlpatterns]
