from datetime import date

from django.core.management.base import BaseCommand, CommandError

from members.services.renewals import membership_year_sweep


class Command(BaseCommand):
    help = "会籍年度处理：年度注册截止前后提醒、宽限期后转为待续期、连续未注册的会籍失效；已处理的不再重复"

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="按该日期计算（YYYY-MM-DD），默认今天")

    def handle(self, *args, date=None, **options):
        done = membership_year_sweep(today=date)
        if done is None:
            raise CommandError("另一个会籍年度任务正在运行，请稍后再试")
        self.stdout.write(
            "截止前提醒 {closing}，截止后提醒 {closed}，转为待续期 {pending}，失效 {lapsed}".format(**done)
        )
