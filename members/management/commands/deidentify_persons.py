"""De-identify the profiles of accounts deleted more than PERSON_RETENTION_DAYS ago (--dry-run counts only)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from members.services.retention import persons_deidentify_due


class Command(BaseCommand):
    help = "对注销超过保存期限的账号保留的个人资料做去标识化处理"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计，不做任何修改")

    def handle(self, *args, **options):
        count = persons_deidentify_due(dry_run=options["dry_run"])
        days = settings.PERSON_RETENTION_DAYS
        if options["dry_run"]:
            self.stdout.write(f"有 {count} 份注销账号的个人资料已超过 {days} 天保存期限，将做去标识化处理；未做任何修改。")
        else:
            self.stdout.write(f"已对 {count} 份注销账号的个人资料做去标识化处理（保存期限 {days} 天）。")
