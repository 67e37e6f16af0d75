"""Verify the audit trail's hash chain (archives and rows); exit status 1 and the first broken link if broken."""

from django.core.management.base import BaseCommand, CommandError

from orgs.selectors.audit import audit_chain_verify


class Command(BaseCommand):
    help = "校验审计记录的哈希链，报告第一处断链"

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="列出全部断链，而不是在第一处停止")
        parser.add_argument("--skip-files", action="store_true", help="不校验归档文件")

    def handle(self, *args, **options):
        report = audit_chain_verify(check_files=not options["skip_files"], stop_at_first=not options["all"])
        if report.intact:
            self.stdout.write(f"审计记录完整：已校验 {report.rows_checked} 条记录、{report.archives_checked} 个归档。")
            return
        for link in report.breaks:
            where = f"第 {link.event_id} 号记录" if link.event_id else f"归档 {link.archive}"
            self.stderr.write(f"断链：{where}：{link.reason}")
        raise CommandError(f"审计记录校验失败（已校验 {report.rows_checked} 条）")
