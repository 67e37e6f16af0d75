"""Remove evidence files of withdrawn or rejected applications past EVIDENCE_RETENTION_DAYS (--dry-run counts)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from approvals.retention import evidence_purge_due


class Command(BaseCommand):
    help = "删除申请已撤回或不予通过、超过保存期限的证明材料文件"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计，不删除任何文件")

    def handle(self, *args, **options):
        count = evidence_purge_due(dry_run=options["dry_run"])
        days = settings.EVIDENCE_RETENTION_DAYS
        if options["dry_run"]:
            self.stdout.write(f"有 {count} 份证明材料已超过 {days} 天保存期限，将被删除；未做任何修改。")
        else:
            self.stdout.write(f"已删除 {count} 份证明材料（保存期限 {days} 天）。")
