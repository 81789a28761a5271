"""Work items drawn by muster/work/rows.py: {% work_table items caption %}, {% work_due item %},
{% work_controls item [here] %} (the forms return to `here`, else the page's `here`),
{% work_pager page param label %}."""

from django import template

from muster.work import rows

register = template.Library()


def _csrf(context) -> str:
    """The page's CSRF token as {% csrf_token %} finds it ("" when there is none)."""
    token = context.get("csrf_token")
    return str(token) if token else ""


def _user_pk(context) -> int | None:
    user = context.get("user")
    return user.pk if user is not None else None


@register.simple_tag(takes_context=True)
def work_table(context, items, caption):
    return rows.items_table(items, caption, _user_pk(context), context.get("here", ""),
                            _csrf(context))


@register.simple_tag
def work_due(item):
    return rows.due(item)


@register.simple_tag(takes_context=True)
def work_controls(context, item, here=None):
    here = context.get("here", "") if here is None else here
    return rows.controls(item, _user_pk(context), here, _csrf(context))


@register.simple_tag(takes_context=True)
def work_pager(context, page, param, label):
    """The pages of one list (rows.pager): `param` names its page number in the address."""
    return rows.pager(page, param, label, context["request"].GET)
