from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("access", "0008_pause_when_not_recertified"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="accessgrant",
            index=models.Index(condition=models.Q(("status", "requested")),
                               fields=["requested_at", "id"], name="grant_requested_order"),
        ),
    ]
