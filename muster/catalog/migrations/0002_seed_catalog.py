from django.db import migrations


def seed(apps, schema_editor):
    from muster.catalog.seed import seed_catalog

    seed_catalog(apps.get_model("catalog", "Service"), apps.get_model("catalog", "HelpContact"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
