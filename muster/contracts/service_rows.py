"""The rows of the contract page's table of services (contracts/detail.html), written in
Python.

Issue 17: drawn by the template engine, a service's row cost about 100 function calls (a
variable lookup, an escape and a tag at a time); here one f-string of escaped values, the
same HTML the template wrote. A row shows the service, its decision and why, the users
estimated ("—" for none) and what it needs: a valid Data Use Agreement, an EUA job code.
"""

from django.utils.safestring import SafeString, mark_safe

from muster.escaping import escape

from .models import ContractService

# As get_status_display() says them, for a dict's price.
STATUSES = {value: str(label) for value, label in ContractService.Status.choices}


def _row(item: ContractService) -> str:
    service = item.service
    status = escape(STATUSES.get(item.status, item.status))
    if item.decision_reason:
        status = f"{status}: {escape(item.decision_reason)}"
    needs = "A valid Data Use Agreement" if service.requires_dua else ""
    if service.eua_job_code:
        needs = f"{needs}EUA job code {escape(service.eua_job_code)}"
    return (
        f'\n      <tr><th scope="row" data-label="Service">{escape(service.name)}</th>'
        f'<td data-label="Status">{status}</td>\n'
        f'        <td data-label="Estimated users">{item.estimated_users or "—"}</td>\n'
        f'        <td data-label="Needs">{needs}</td></tr>\n    ')


def service_rows(services) -> SafeString:
    """Every row of the table: `services` are the contract's ContractServices, each with
    its service."""
    return mark_safe("".join(_row(item) for item in services))  # noqa: S308 (escaped in _row)
