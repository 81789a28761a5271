"""The header's search results page. Thin: read the words, ask queries.search, render."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse

from muster.accounts import permissions

from . import queries


def results(request):
    q = " ".join(request.GET.get("q", "").split())[:queries.MAX_LENGTH]
    context = {"q": q, "min_length": queries.MIN_LENGTH, "groups": [], "problem": ""}
    if not q:
        context["problem"] = (f"Type at least {queries.MIN_LENGTH} characters: part of a "
                              "contract's name or number, a person's name, email address "
                              "or HARP ID, or an organization.")
    elif len(q) < queries.MIN_LENGTH:
        context["problem"] = (f"“{q}” is too short: type at least {queries.MIN_LENGTH} "
                              "characters.")
    else:
        user = request.user
        groups = queries.search(user, q)
        people = next(g for g in groups if g.key == "people")
        for person in people.results:
            person.role_name = queries.ROLE_NAMES.get(person.seen_role or "", "")
        more = {"contracts": f"{reverse('contracts:list')}?{urlencode({'q': q})}"}
        if permissions.may_see_accounts(user):
            more["people"] = f"{reverse('identity:people')}?{urlencode({'q': q})}"
        for group in groups:
            group.more_url = more.get(group.key, "")
        context.update(groups=groups, found=sum(len(g.results) for g in groups))
    return render(request, "search/results.html", context)
