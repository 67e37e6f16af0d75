from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# How the audit trail shows the actions of this app (orgs.audit_actions).
AUDIT_ACTIONS = {
    "application.submit": _("提交申请"),
    "application.resubmit": _("修改后重新提交"),
    "application.withdraw": _("撤回申请"),
    "application.approve": _("批准"),
    "application.return": _("退回修改"),
    "application.reject": _("不予通过"),
    "recommendation.create": _("组织推荐"),
    "evidence.download": _("下载证明材料"),
    "export.queue": _("导出审核队列"),
    "export.annual_report": _("导出年报"),
    "progress.repair": _("核对进度快照时修正差异"),
}


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("审核与推荐")

    def ready(self) -> None:
        # Connects approvals to the signals of orgs and members (progress recounts, data rights, members' pages)
        # and registers the progress tasks by name in this process.
        from approvals import receivers, tasks  # noqa: F401
        from orgs.audit_actions import audit_actions_name

        audit_actions_name(AUDIT_ACTIONS)
