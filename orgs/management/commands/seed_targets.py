from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kexie.errors import DomainError
from orgs.services.targets import targets_seed


class Command(BaseCommand):
    help = "按冀科协〔2017〕90号设置年度默认目标（已有目标不覆盖，可重复运行）"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="年度，默认今年")

    def handle(self, *args, year=None, **options):
        year = year or timezone.localdate().year
        try:
            created = targets_seed(year=year)
        except DomainError as exc:
            raise CommandError(str(exc.message))
        self.stdout.write(f"{year} 年度新设目标 {created} 项（已有目标保持不变）")
