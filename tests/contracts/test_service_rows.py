"""The contract page's rows of services, written in Python (contracts/service_rows.py),
write what the template text they replaced wrote, byte for byte: for each decision, with
and without a reason, users estimated or not, each need; a name, a reason or a job code
holding markup reads as text. The template and its filters do the escaping there."""

from django.template import Context, Template

from muster.catalog.models import Service
from muster.contracts.models import ContractService
from muster.contracts.service_rows import service_rows

# contracts/detail.html's loop before the rows were written in Python.
TEMPLATE_TEXT = """{% for item in services %}
      <tr><th scope="row" data-label="Service">{{ item.service.name }}</th><td data-label="Status">{{ item.get_status_display }}{% if item.decision_reason %}: {{ item.decision_reason }}{% endif %}</td>
        <td data-label="Estimated users">{{ item.estimated_users|default:"—" }}</td>
        <td data-label="Needs">{% if item.service.requires_dua %}A valid Data Use Agreement{% endif %}{% if item.service.eua_job_code %}EUA job code {{ item.service.eua_job_code }}{% endif %}</td></tr>
    {% endfor %}"""  # noqa: E501

MARKUP = '<b>"Tom" & \'Jerry\'</b>'


def _items() -> list[ContractService]:
    items = []
    services = [
        Service(name="SAS Viya", requires_dua=True, eua_job_code=""),
        Service(name=MARKUP, requires_dua=False, eua_job_code=MARKUP),
        Service(name="Confluence", requires_dua=True, eua_job_code="ABC_123"),
        Service(name="Jira", requires_dua=False, eua_job_code=""),
    ]
    reasons = ["", MARKUP, "Not needed for this work"]
    estimates = [None, 0, 7, 12000]
    for n, status in enumerate(ContractService.Status.values):
        for m, service in enumerate(services):
            items.append(ContractService(service=service, status=status,
                                         decision_reason=reasons[(n + m) % len(reasons)],
                                         estimated_users=estimates[(n * m) % len(estimates)]))
    return items


def test_the_rows_are_the_template_texts_byte_for_byte():
    items = _items()
    assert service_rows(items) == Template(TEMPLATE_TEXT).render(Context({"services": items}))


def test_markup_in_a_name_a_reason_or_a_job_code_reads_as_text():
    item = ContractService(service=Service(name=MARKUP, eua_job_code=MARKUP),
                           status=ContractService.Status.DENIED, decision_reason=MARKUP)
    written = service_rows([item])
    as_text = "&lt;b&gt;&quot;Tom&quot; &amp; &#x27;Jerry&#x27;&lt;/b&gt;"
    assert "<b>" not in written and written.count(as_text) == 3


def test_no_services_no_rows():
    assert service_rows([]) == ""
