from django.http import Http404


def metrics(request):
    raise Http404("Not built yet.")  # issue 14: replaced by the page
