from django.shortcuts import render


class FriendlyMethodNotAllowed:
    """Django answers a wrong method (GET on a POST-only action) with an empty 405: give
    people the site's page with a way back instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            page = render(request, "error.html", {
                "title": "This address is for a form",
                "message": "This action runs from a button on a page, not from its address. "
                "Go back to the page and use its button.",
            }, status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response
