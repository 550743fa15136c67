from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0005_figure_version_and_snapshots")]

    operations = [
        migrations.CreateModel(
            name="FigureBlock",
            fields=[
                ("block", models.BigIntegerField(primary_key=True, serialize=False)),
                ("number", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "统计数据分块版本", "verbose_name_plural": "统计数据分块版本"},
        ),
    ]
