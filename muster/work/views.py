from django.http import Http404


def mine(request):
    raise Http404("Not built yet.")  # issue 14: replaced by the page

def dashboard(request):
    raise Http404("Not built yet.")  # issue 14: replaced by the page
