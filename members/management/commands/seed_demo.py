from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from orgs import permissions
from orgs.models import Org

DEMO_PASSWORD = "Kexie-demo-2026"


class Command(BaseCommand):
    help = "创建演示账号（仅用于本地演示）：省、市、县管理员，省科协工作人员，申请人。可重复执行。"

    def handle(self, *args, **options):
        User = get_user_model()
        province = Org.objects.get(external_id="1")
        city = Org.objects.get(name="石家庄市科学技术协会")
        county = Org.objects.filter(parent=city, kind=Org.Kind.KEXIE).order_by("code").first()
        rows = [
            ("province_admin", "省科协管理员", province, "", None),
            ("sjz_admin", "石家庄市科协管理员", city, "", None),
            ("county_admin", f"{county.name}管理员", county, "", None),
            ("staff_zuzhi", "组织人事部工作人员", province, User.Department.ORG_PERSONNEL, "view"),
            ("13800138000", "演示申请人", None, "", None),
        ]
        with transaction.atomic():
            for username, full_name, org, department, grant in rows:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={"full_name": full_name, "department": department},
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                    if username.isdigit():
                        user.mobile = username
                    user.save()
                if org is not None:
                    if grant == "view":
                        permissions.grant_view(user, org)
                    else:
                        permissions.grant_administer(user, org)
            self._demo_applicant(User.objects.get(username="13800138000"))
        self.stdout.write("演示账号（密码均为 %s）：" % DEMO_PASSWORD)
        self.stdout.write(f"  省科协管理员        province_admin   （{province.name}）")
        self.stdout.write(f"  市科协管理员        sjz_admin        （{city.name}）")
        self.stdout.write(f"  县科协管理员        county_admin     （{county.name}）")
        self.stdout.write("  省科协工作人员      staff_zuzhi      （组织人事部，全省只读）")
        self.stdout.write("  申请人              13800138000    （已授权、资料完整、有一项县级奖励，尚未申请）")

    def _demo_applicant(self, user) -> None:
        """Consent, a complete profile and one award, but no application: the demo starts at "choose an org"."""
        from members.models import Award, Person
        from members.services.consent import consent_give
        from members.services.people import person_profile_save
        from kexie.validators import id_number_check_digit

        consent_give(user=user)
        first17 = "13012119850315002"
        has_id = Person.objects.filter(user=user).exclude(id_number_index=None).exists()
        person = person_profile_save(
            user=user,
            id_number=None if has_id else first17 + id_number_check_digit(first17),
            name="陈科技",
            mobile=user.mobile or user.username,
            email=user.email,
            employer="井陉县农业技术推广站",
            discipline="农学",
            education=Person.Education.JUNIOR_COLLEGE,
            title=Person.Title.JUNIOR,
        )
        if not person.awards.exists():
            Award.objects.create(
                person=person, name="井陉县科学技术进步奖", level="county", year=2023, issuer="井陉县人民政府"
            )
