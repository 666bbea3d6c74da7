# An overview logs one access-log row with the ids it showed (listed_ids) instead of a row per
# object. On PostgreSQL a partial GIN index (jsonb_path_ops) serves ``listed_ids @> '[id]'``;
# SQLite needs none (its JSON lookups scan, which the demo's sizes allow).

import core.fields
from django.db import migrations, models

GIN = "cases_accesslog_listed_gin"


def create_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {GIN} ON cases_accesslog USING gin (listed_ids jsonb_path_ops) "
            "WHERE listed_ids IS NOT NULL")


def drop_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {GIN}")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_accesslog_case_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='accesslog',
            name='listed_ids',
            field=core.fields.IdListField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='accesslog',
            name='object_id',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(create_gin, drop_gin, elidable=False),
    ]
