"""OnboardingRequest.due: a copy of the due date of the timeline step an open row waits on (see
muster/timeline/copies.py), computed here for the rows there are; indexed for the lists
that sort by it."""

import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models

from muster.timeline.copies import DueCopy

# As muster/onboarding/models.py's DUE says today (a migration keeps its own copy).
DUE = DueCopy({"submitted": "eligibility-meeting", "question": "eligibility-meeting",
               "reviewed": "eligibility-meeting", "lead_approved": "eligibility-meeting",
               "service_review": "complete-onboarding", "approved": "complete-onboarding"})


def fill_due(apps, schema_editor):
    rows = apps.get_model("onboarding", "OnboardingRequest")._default_manager
    step_model = apps.get_model("timeline", "ContractStep")
    rows.filter(status__in=list(DUE.step_by_status)).update(
        due=DUE.expression(step_model=step_model))


class Migration(migrations.Migration):

    dependencies = [
        ('timeline', '0006_step_due_by_key'),
        ('contracts', '0014_backfill_next_step'),
        ('onboarding', '0009_welcome_package_prepared_by_the_worker'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='onboardingrequest',
            name='due',
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name='onboardingrequest',
            index=models.Index(models.F('due'), django.db.models.functions.comparison.Coalesce('submitted_at', 'created_at'), models.F('id'), condition=models.Q(('status__in', ('submitted', 'question', 'reviewed', 'lead_approved', 'service_review', 'approved'))), name='open_request_by_due'),
        ),
        migrations.AddIndex(
            model_name='onboardingrequest',
            index=models.Index(fields=['status', 'submitted_at', 'id'], name='request_queue_order'),
        ),
        migrations.RunPython(fill_due, migrations.RunPython.noop),
    ]
