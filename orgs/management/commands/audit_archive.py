"""Archive the audit rows older than AUDIT_RETENTION_DAYS to a compressed file and remove them (--dry-run counts)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from kexie.errors import DomainError
from orgs.services.audit import audit_archive


class Command(BaseCommand):
    help = "将超过保存期限的审计记录归档为压缩文件后删除"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计将要归档的记录数，不写文件、不删除")

    def handle(self, *args, **options):
        if options["dry_run"]:
            count = audit_archive(dry_run=True)
            self.stdout.write(f"将归档 {count} 条记录（保存期限 {settings.AUDIT_RETENTION_DAYS} 天）；未做任何修改。")
            return
        try:
            archive = audit_archive()
        except DomainError as exc:
            self.stdout.write(str(exc.message))
            return
        self.stdout.write(
            f"已归档 {archive.row_count} 条记录（编号 {archive.first_id}–{archive.last_id}）到 "
            f"{settings.AUDIT_ARCHIVE_DIR}/{archive.file_name}，SHA-256 {archive.file_sha256}"
        )
