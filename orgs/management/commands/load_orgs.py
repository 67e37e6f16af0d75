from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kexie.errors import DomainError
from orgs.services.tree import orgs_load_csv

DEFAULT_CSV = Path(settings.BASE_DIR) / "orgs" / "data" / "hebei_orgs.csv"


class Command(BaseCommand):
    help = "导入组织树 CSV（id,parent_id,level,kind,name[,code]），可重复执行：已存在的组织会被更新或移动。"

    def add_arguments(self, parser):
        parser.add_argument("csv", nargs="?", default=str(DEFAULT_CSV))

    def handle(self, *args, **options):
        path = Path(options["csv"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        try:
            result = orgs_load_csv(path)
        except DomainError as exc:
            raise CommandError(str(exc.message))
        self.stdout.write(
            f"组织导入完成：新建 {result.created}，更新 {result.updated}，移动 {result.moved}，未变 {result.unchanged}"
        )
