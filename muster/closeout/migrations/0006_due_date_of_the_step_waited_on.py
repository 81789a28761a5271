"""Closeout.due: a copy of the due date of the timeline step an open row waits on (see
muster/timeline/copies.py), computed here for the rows there are; indexed for the lists
that sort by it."""

from django.conf import settings
from django.db import migrations, models

from muster.timeline.copies import DueCopy

# As muster/closeout/models.py's DUE says today (a migration keeps its own copy).
DUE = DueCopy({"notice_sent": "closeout-scenario", "scenario_chosen": "remove-access"})


def fill_due(apps, schema_editor):
    rows = apps.get_model("closeout", "Closeout")._default_manager
    step_model = apps.get_model("timeline", "ContractStep")
    rows.filter(status__in=list(DUE.step_by_status)).update(
        due=DUE.expression(step_model=step_model))


class Migration(migrations.Migration):

    dependencies = [
        ('timeline', '0006_step_due_by_key'),
        ('closeout', '0005_status_moves_by_transitions'),
        ('contracts', '0014_backfill_next_step'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='closeout',
            name='due',
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name='closeout',
            index=models.Index(condition=models.Q(('status__in', ['notice_sent', 'scenario_chosen'])), fields=['due', 'notice_sent_at', 'id'], name='open_closeout_by_due'),
        ),
        migrations.RunPython(fill_due, migrations.RunPython.noop),
    ]
