"""Fill each contract's next open step from its steps: the timeline's set-based
recomputation (a few statements, not one per contract), on the historical models."""

from django.db import migrations

from muster.timeline.services import refresh_next_steps


def backfill(apps, schema_editor):
    refresh_next_steps(step_model=apps.get_model("timeline", "ContractStep"))


class Migration(migrations.Migration):

    dependencies = [
        ("contracts", "0013_next_step_on_the_contract"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
