"""Memberships record how they came about, so that the census and transfers are not counted as new members.

Existing rows: a membership linked from a census row came from the census; one that an audit row names as the
receiving side of a transfer came from a transfer; every other one was admitted on an application.
"""

from django.db import migrations, models


def classify_existing(apps, schema_editor):
    Membership = apps.get_model("members", "Membership")
    CensusRow = apps.get_model("members", "CensusRow")
    AuditEvent = apps.get_model("orgs", "AuditEvent")
    census = CensusRow.objects.exclude(membership=None).values("membership_id")
    Membership.objects.filter(pk__in=census).update(origin="census")
    transferred = [
        int(object_id)
        for object_id in AuditEvent.objects.filter(
            action="membership.transfer_in", object_type="members.membership"
        ).values_list("object_id", flat=True)
        if object_id.isdigit()
    ]
    for start in range(0, len(transferred), 500):
        Membership.objects.filter(pk__in=transferred[start : start + 500]).update(origin="transfer")


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0013_education_national_classification"),
        ("orgs", "0004_handling_time_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="origin",
            field=models.CharField(
                choices=[("application", "申请入会"), ("census", "存量会员登记"), ("transfer", "转入")],
                default="application",
                max_length=16,
                verbose_name="来源",
            ),
        ),
        migrations.RunPython(classify_existing, migrations.RunPython.noop),
    ]
