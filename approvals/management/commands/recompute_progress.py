from django.core.management.base import BaseCommand, CommandError

from approvals.progress import progress_recompute_all


class Command(BaseCommand):
    help = "全量重算会员发展进度快照（默认：今年及已有快照或目标的年度）"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", dest="years", help="只重算该年度，可重复")

    def handle(self, *args, years=None, **options):
        if not progress_recompute_all(years=years):
            raise CommandError("另一个进度计算正在运行，请稍后再试")
        self.stdout.write("进度快照已重算")
