from django.core.management.base import BaseCommand, CommandError

from bench import loadgen


class Command(BaseCommand):
    help = (
        "生成可复现的压测数据（申请人、奖励、各状态申请、推荐、会员与审计记录）。"
        "生成的账号用户名以 load_ 开头；--reset 先删除此前生成的数据。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, help="要生成的申请数（精确）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子：相同种子生成相同数据")
        parser.add_argument("--reset", action="store_true", help="先删除此前生成的数据")
        parser.add_argument(
            "--append", action="store_true",
            help="在此前生成的数据之上追加（新的申请人，会员编号接续）；用于把 100 万的副本扩充为更大的数据集",
        )
        parser.add_argument(
            "--national", action="store_true",
            help="组织表为空时先生成全国组织树（中国科协、31 个省级科协及其市、县、学会等约一万个组织）",
        )

    def handle(self, *args, **options):
        count = options["applications"]
        if count is None and not options["reset"]:
            raise CommandError("请用 --applications 指定申请数，或用 --reset 只删除已生成的数据")
        if count is not None and count < 1:
            raise CommandError("--applications 必须是正整数")
        log = self.stdout.write
        if options["reset"]:
            deleted = loadgen.load_reset(log=log)
            log(f"已删除生成的数据：{sum(deleted.values())} 行")
        elif loadgen.load_exists() and not options["append"]:
            raise CommandError("数据库中已有生成的数据（load_ 开头的账号）；请加 --reset 先删除")
        if count is None:
            return
        try:
            result = loadgen.load_generate(
                applications=count, seed=options["seed"], national=options["national"], append=options["append"],
                log=log,
            )
        except ValueError as exc:
            raise CommandError("组织表中已有非全国的组织树；--national 需要空的组织表") from exc
        summary = "，".join(f"{label} {n}" for label, n in result.counts.items())
        log(self.style.SUCCESS(f"生成完成（{result.seconds:.1f} 秒）：{summary}"))
