from django.db import migrations, models
from django.db.models import F


def fill_submission_times(apps, schema_editor):
    """Every application is made submitted (approvals.services sets the time); a row without one takes the time
    it was made."""
    Application = apps.get_model("approvals", "Application")
    Application.objects.filter(submitted_at__isnull=True).update(submitted_at=F("created_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0007_handling_time_limits"),
    ]

    operations = [
        migrations.RunPython(fill_submission_times, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="application",
            name="submitted_at",
            field=models.DateTimeField(db_index=True, verbose_name="提交时间"),
        ),
    ]
