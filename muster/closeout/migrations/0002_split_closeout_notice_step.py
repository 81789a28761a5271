"""Split "Notification of contract closeout" in two: the notice going out completes it, and
a new step, "COR chooses the closeout scenario", waits for the COR. Before, the notice step
waited for the scenario, so a closing contract showed the notice overdue after it was sent.

Templates and contracts' own copies get the new step (after the notice step). Open notice
steps take the new wording, and are completed when the contract's current closeout record
shows the notice went out; completed ones keep their history (their scenario step is done
with the same date and note). Idempotent: a copy that already has the step is left alone.
"""

import datetime

from django.db import migrations
from django.db.models import F

NOTICE, SCENARIO = "closeout-notice", "closeout-scenario"
NOTICE_TEXT = {
    "description": "The onboarding team contacts the COR 60 days before the period of "
    "performance ends to start the closeout (Muster's daily sweep sends the notice).",
    "responsible": ["onboarding_team"],
    "evidence": "Closeout notice sent to the COR",
}
SCENARIO_STEP = {
    "key": SCENARIO,
    "process": "offboarding",
    "phase": "60 days before the end of the period of performance",
    "name": "COR chooses the closeout scenario",
    "description": "The COR chooses one of the four closeout scenarios and gives what it asks "
    "for: it decides what happens to the contractor's access and data.",
    "anchor": "pop_end",
    "offset": -30,
    "offset_unit": "calendar",
    "responsible": ["cor"],
    "evidence": "Closeout scenario chosen",
}


def _make_room(steps, after: int) -> None:
    steps.filter(order__gt=after).update(order=F("order") + 1)


def split(apps, schema_editor):
    TemplateStep = apps.get_model("timeline", "TemplateStep")
    ContractStep = apps.get_model("timeline", "ContractStep")
    Closeout = apps.get_model("closeout", "Closeout")

    for notice in TemplateStep.objects.filter(key=NOTICE).exclude(template__steps__key=SCENARIO):
        _make_room(TemplateStep.objects.filter(template_id=notice.template_id), notice.order)
        TemplateStep.objects.create(template_id=notice.template_id, order=notice.order + 1,
                                    **SCENARIO_STEP)
        TemplateStep.objects.filter(pk=notice.pk).update(**NOTICE_TEXT)

    notices = (ContractStep.objects.filter(key=NOTICE).exclude(contract__steps__key=SCENARIO)
               .select_related("contract"))
    for notice in notices:
        contract = notice.contract
        _make_room(ContractStep.objects.filter(contract_id=contract.pk), notice.order)
        due = contract.pop_end - datetime.timedelta(days=30) if contract.pop_end else None
        done = {"completed_at": notice.completed_at, "completed_by_id": notice.completed_by_id,
                "completion_note": notice.completion_note}
        ContractStep.objects.create(contract_id=contract.pk, order=notice.order + 1,
                                    due_date=due, **SCENARIO_STEP, **done)
        if notice.completed_at is not None:
            continue
        changes = dict(NOTICE_TEXT)
        sent = (Closeout.objects.filter(contract_id=contract.pk, pop_end=contract.pop_end)
                .order_by("notice_sent_at").values_list("notice_sent_at", flat=True).first())
        if sent is not None:
            changes |= {"completed_at": sent, "completion_note": "Closeout notice sent to the COR."}
        ContractStep.objects.filter(pk=notice.pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [
        ("closeout", "0001_initial"),
        ("timeline", "0003_open_step_by_contract"),
    ]
    operations = [migrations.RunPython(split, migrations.RunPython.noop)]
