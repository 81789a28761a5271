from . import correlation

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Give each request an id (a sane incoming X-Request-ID, as a proxy sets, or a new
    one), make it the action id for the request's audit events, and echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER, "").strip()
        request_id = incoming if correlation.is_sane(incoming) else correlation.new_id()
        request.request_id = request_id
        with correlation.scope(request_id):
            response = self.get_response(request)
        response[HEADER] = request_id
        return response
