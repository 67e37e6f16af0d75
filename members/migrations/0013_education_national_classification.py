"""Education choices follow the national classification (博士研究生 … 初中及以下).

The first choices had one lowest value, "中专及以下" (`secondary`), which mixed 中等专科 with 高中 and 初中. It is
mapped to 中等专科（含中技）, the reading most people meant, and those people are flagged so that their profile
page asks them to confirm (or correct) their education once.
"""

from django.db import migrations, models

OLD_LOWEST = "secondary"
NEW_VALUE = "secondary_vocational"


def map_old_lowest(apps, schema_editor):
    Person = apps.get_model("members", "Person")
    Person.objects.filter(education=OLD_LOWEST).update(education=NEW_VALUE, education_unconfirmed=True)


def unmap_old_lowest(apps, schema_editor):
    Person = apps.get_model("members", "Person")
    Person.objects.filter(education=NEW_VALUE, education_unconfirmed=True).update(
        education=OLD_LOWEST, education_unconfirmed=False
    )
    # 高中 and 初中及以下 had no value of their own before: they were "中专及以下".
    Person.objects.filter(education__in=["high_school", "junior_high_or_below"]).update(education=OLD_LOWEST)


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0012_verification_code_login_purpose"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="education_unconfirmed",
            field=models.BooleanField(default=False, verbose_name="学历待本人确认"),
        ),
        migrations.AlterField(
            model_name="person",
            name="education",
            field=models.CharField(
                blank=True,
                choices=[
                    ("doctor", "博士研究生"),
                    ("master", "硕士研究生"),
                    ("bachelor", "大学本科"),
                    ("junior_college", "大学专科"),
                    ("secondary_vocational", "中等专科（含中技）"),
                    ("high_school", "高中"),
                    ("junior_high_or_below", "初中及以下"),
                ],
                max_length=20,
                verbose_name="最高学历",
            ),
        ),
        migrations.RunPython(map_old_lowest, unmap_old_lowest),
    ]
