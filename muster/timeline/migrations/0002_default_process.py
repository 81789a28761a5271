from django.db import migrations


def install_default(apps, schema_editor):
    from muster.timeline.process_file import install_template, read_process_file

    Template = apps.get_model("timeline", "ProcessTemplate")
    if not Template.objects.filter(is_default=True).exists():
        install_template(
            read_process_file(),
            Template,
            apps.get_model("timeline", "TemplateStep"),
            make_default=True,
        )


class Migration(migrations.Migration):
    dependencies = [("timeline", "0001_initial")]
    operations = [migrations.RunPython(install_default, migrations.RunPython.noop)]
