from django.db import migrations

# The job code is shown beside every service that has one ("Users need the EUA job code
# CONFL_User."), so Confluence's description no longer repeats it. Only the seeded text
# changes: an administrator's own wording is left alone.
OLD = "The Confluence wiki, including the QPP onboarding pages. Needs the CONFL_User EUA job code."
NEW = "The Confluence wiki, including the QPP onboarding pages."


def forward(apps, schema_editor):
    Service = apps.get_model("catalog", "Service")
    Service.objects.filter(slug="confluence", description=OLD).update(description=NEW)


def backward(apps, schema_editor):
    Service = apps.get_model("catalog", "Service")
    Service.objects.filter(slug="confluence", description=NEW).update(description=OLD)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_seed_catalog")]
    operations = [migrations.RunPython(forward, backward)]
