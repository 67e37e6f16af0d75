"""What each audit action is called on screen (下载会员证, never certificate.download).

The audit trail lives in orgs, but most actions belong to the apps above it, so each app names its own actions
from its AppConfig.ready(); orgs keeps only the vocabulary, never the apps' concepts.
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

_LABELS: dict[str, str] = {}

ORG_ACTIONS = {
    "admin_account.create": _("创建管理员账号"),
    "admin_account.activate": _("启用管理员账号"),
    "admin_account.deactivate": _("停用管理员账号"),
    "admin_account.two_factor_reset": _("重置管理员双因素认证"),
    "two_factor.enrol": _("绑定双因素认证"),
    "staff_account.create": _("创建省科协工作人员账号"),
    "target.set": _("修改年度目标"),
    "target.seed": _("设置默认年度目标"),
    "export.dashboard": _("导出发展进度"),
    "org.handling_days": _("修改审核办结时限"),
    "webhook.create": _("登记 Webhook 推送端点"),
    "webhook.revoke": _("停用 Webhook 推送端点"),
    "webhook.redeliver": _("重新推送 Webhook 事件"),
    "service_token.create": _("创建接口访问令牌"),
    "service_token.revoke": _("吊销接口访问令牌"),
    "officer_account.create": _("创建三员账号"),
    "officer_role.grant": _("授予三员角色"),
    "org.open": _("开放入会申请"),
    "org.close": _("暂停接受入会申请"),
    "two_factor.recovery_code_used": _("使用恢复码登录"),
    "two_factor.recovery_codes_regenerate": _("重新生成恢复码"),
    "export.audit": _("导出审计记录"),
    "audit.archive": _("归档过期审计记录"),
    "audit.verify": _("校验审计记录"),
}


def audit_actions_name(labels: Mapping[str, str]) -> None:
    _LABELS.update(labels)


def audit_actions_named() -> dict[str, str]:
    return dict(_LABELS)


def audit_action_label(action: str) -> str:
    # An action nobody named still reads as Chinese; tests/orgs/test_audit_actions.py keeps this from happening.
    return str(_LABELS.get(action, _("其他操作")))
