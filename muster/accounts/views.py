"""The menu page: every link of the header, grouped, for a browser without JavaScript (the
header's groups and small-screen Menu lead here) and for anyone who wants them all at once."""

from django.shortcuts import render

from .context_processors import GROUPS, links_for


def menu(request):
    links = links_for(request.user, None, request.path)
    sections = [("main", "Main pages", [link for link in links if link["group"] is None])]
    sections += [(key, label, [link for link in links if link["group"] == key])
                 for key, label in GROUPS.items()]
    return render(request, "accounts/menu.html", {
        "sections": [(key, label, members) for key, label, members in sections if members],
    })
