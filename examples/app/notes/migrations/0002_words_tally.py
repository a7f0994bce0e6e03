from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="note", name="words", field=models.PositiveIntegerField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="note", name="counted_by", field=models.CharField(blank=True, db_default="", max_length=255)
        ),
        migrations.AddField(
            model_name="note", name="count_attempts", field=models.PositiveIntegerField(db_default=0)
        ),
        migrations.CreateModel(
            name="Tally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(auto_now_add=True)),
                ("host", models.CharField(max_length=255)),
                ("notes", models.PositiveIntegerField()),
                ("words", models.PositiveIntegerField()),
            ],
            options={"ordering": ["-at"]},
        ),
    ]
