"""A migration the code has and the database has not run: /readyz must say so."""

from django.db import migrations


class Migration(migrations.Migration):
    operations: list = []
