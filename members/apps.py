from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# How the audit trail shows the actions of this app (orgs.audit_actions).
AUDIT_ACTIONS = {
    "user.register": _("注册账号"),
    "user.delete": _("注销账号"),
    "user.email_verify": _("验证电子邮箱"),
    "api_session.open": _("接口登录"),
    "api_session.revoke": _("接口退出登录"),
    "person.create": _("填写个人资料"),
    "person.update": _("修改个人资料"),
    "person.id_number_refused": _("拒绝使用他人身份证号码"),
    "person.deidentify": _("注销账号资料去标识化"),
    "user.password_reset": _("找回密码"),
    "user.mobile_change": _("更换手机号码"),
    "award.evidence_purge": _("删除过期证明材料"),
    "person.export": _("下载本人数据"),
    "consent.give": _("同意个人信息授权"),
    "consent.withdraw": _("撤回个人信息授权"),
    "award.save": _("保存奖励或荣誉"),
    "award.delete": _("删除奖励或荣誉"),
    "membership.grade": _("修改会员等级与类别"),
    "membership.unit": _("关联团体会员"),
    "membership.transfer_out": _("转会转出"),
    "membership.transfer_in": _("转会转入"),
    "membership.lapsed": _("会员资格失效"),
    "membership.withdrawn": _("退会"),
    "membership.active": _("恢复有效"),
    "membership.pending_renewal": _("会籍转为待续期"),
    "membership.pending_rereg": _("会籍转为待重新登记"),
    "membership.transferred": _("会籍转出"),
    "membership.renew": _("会籍续期"),
    "renewal.window": _("设置年度注册期"),
    "renewal.confirm": _("确认年度注册"),
    "dues.submit": _("提交会费缴纳"),
    "dues.confirm": _("确认会费到账"),
    "dues.reject": _("退回会费缴纳"),
    "dues.proof_download": _("下载转账凭证"),
    "dues.receipt_download": _("下载会费收据"),
    "fee.set": _("设置会费标准"),
    "fee.paid": _("登记缴纳会费"),
    "fee.exempt": _("登记免缴会费"),
    "fee.instructions": _("修改缴费方式"),
    "unit_member.create": _("登记团体会员"),
    "census.upload": _("上传普查名单"),
    "census.commit": _("导入普查名单"),
    "census.reregister": _("完成重新登记"),
    "census.resend": _("重新发送重新登记邀请"),
    "census.retry": _("重试普查名单处理"),
    "certificate.download": _("下载会员证"),
    "export.members": _("导出会员名册"),
    "export.census_errors": _("下载普查错误报告"),
    "export.census_people": _("导出重新登记名单"),
}


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("会员")

    def ready(self) -> None:
        # Services enqueue these tasks by name; importing the module registers the names in this process.
        from members import tasks  # noqa: F401
        from orgs.audit_actions import audit_actions_name

        audit_actions_name(AUDIT_ACTIONS)
