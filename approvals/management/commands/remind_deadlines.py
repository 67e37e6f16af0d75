from datetime import date

from django.core.management.base import BaseCommand, CommandError

from approvals.deadlines import deadlines_remind


class Command(BaseCommand):
    help = "发送入会申请办理时限提醒（三分之二时限、超期、超期报上级），已发送的不再重复"

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="按该日期计算（YYYY-MM-DD），默认今天")

    def handle(self, *args, date=None, **options):
        sent = deadlines_remind(today=date)
        if sent is None:
            raise CommandError("另一个提醒任务正在运行，请稍后再试")
        self.stdout.write(f"已发送 {sent} 条办理时限提醒")
