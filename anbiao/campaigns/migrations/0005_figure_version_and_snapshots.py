from django.db import migrations, models


def _id():
    return models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")


def first_version(apps, schema_editor):
    apps.get_model("campaigns", "FigureVersion").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0004_campaign_filing_schedule")]

    operations = [
        migrations.CreateModel(
            name="FigureVersion",
            fields=[
                ("id", _id()),
                ("number", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "统计数据版本", "verbose_name_plural": "统计数据版本"},
        ),
        migrations.CreateModel(
            name="DashboardSnapshot",
            fields=[
                ("id", _id()),
                ("key", models.CharField(max_length=200, unique=True)),
                ("on", models.DateField(null=True)),
                ("version", models.BigIntegerField(null=True)),
                ("computed_at", models.DateTimeField(null=True)),
                ("parts", models.BinaryField(null=True)),
                ("requested", models.CharField(blank=True, max_length=40)),
                ("requested_at", models.DateTimeField(null=True)),
            ],
            options={"verbose_name": "工作台数据快照", "verbose_name_plural": "工作台数据快照"},
        ),
        migrations.RunPython(first_version, migrations.RunPython.noop),
    ]
