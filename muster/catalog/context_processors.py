from .models import HelpContact


def help_contacts(request):
    # Lazy: evaluated only by templates that show the contacts (the footer).
    return {"help_contacts": HelpContact.objects.all}
