import hashlib
import json
from datetime import UTC

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from mptt.models import MPTTModel, TreeForeignKey
from mptt.querysets import TreeQuerySet

from kexie.choices import ChoiceLabels


class OrgQuerySet(TreeQuerySet):
    def active(self) -> "OrgQuerySet":
        return self.filter(is_active=True)

    def in_subtree(self, org: "Org") -> "OrgQuerySet":
        """The org itself and every descendant, by MPTT interval."""
        return self.filter(tree_id=org.tree_id, lft__gte=org.lft, rght__lte=org.rght)


class Org(ChoiceLabels, MPTTModel):
    class Kind(models.TextChoices):
        KEXIE = "kexie", _("科协")
        SOCIETY = "society", _("学会")
        UNIVERSITY = "university", _("高校科协")
        ENTERPRISE = "enterprise", _("企业科协")
        PARK = "park", _("园区科协")

    class Level(models.TextChoices):
        # 中国科协 above the provinces: a national tree has one national root and the provinces below it.
        NATIONAL = "national", _("全国")
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")

    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(
        _("简码"),
        max_length=16,
        unique=True,
        help_text=_("组织简码，用于会员编号，只能包含大写字母和数字"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.KEXIE)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices)
    parent = TreeForeignKey(
        "self", verbose_name=_("上级组织"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    is_active = models.BooleanField(_("接受申请"), default=True)
    # Empty: the nearest ancestor's limit applies, and at the root KEXIE_HANDLING_DAYS_DEFAULT.
    handling_days = models.PositiveSmallIntegerField(
        _("办理时限（工作日）"), null=True, blank=True, help_text=_("为空时沿用上级组织的办理时限")
    )
    external_id = models.CharField(
        _("外部编号"), max_length=32, unique=True, null=True, blank=True, help_text=_("导入文件中的编号")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = OrgQuerySet.as_manager()

    class MPTTMeta:
        order_insertion_by = ["code"]
        # The domain already has a `level` (province/city/county); mptt's tree depth gets another name.
        level_attr = "depth"

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        permissions = [
            ("administer_org", _("管理本组织及下级组织")),
            # 三员: the separated system, security and audit administrators (OfficerRole below).
            ("system_admin_org", _("系统管理员：组织架构与设置")),
            ("security_admin_org", _("安全管理员：账号、角色与双因素认证")),
            ("audit_admin_org", _("审计管理员：查阅和导出审计记录")),
        ]
        indexes = [models.Index(fields=["tree_id", "lft", "rght"], name="org_subtree_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.code and not self.code.isalnum():
            raise ValidationError({"code": _("简码只能包含字母和数字")})


class OfficerRole(models.TextChoices):
    """三员 (等保 2.0): three administrators whose duties are kept apart and who never read people's data.

    Each is a guardian permission on an org, effective over its subtree; one account holds at most one of them
    and no other grant (orgs.services.accounts enforces it).
    """

    SYSTEM = "system_admin_org", _("系统管理员")
    SECURITY = "security_admin_org", _("安全管理员")
    AUDIT = "audit_admin_org", _("审计管理员")


class OrgUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign key table: guardian grants on organisations only, never on people."""

    content_object = models.ForeignKey(Org, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("用户组织权限")
        verbose_name_plural = _("用户组织权限")


class OrgGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Org, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("用户组组织权限")
        verbose_name_plural = _("用户组组织权限")


class Immutable(Exception):
    """A write on an append-only table: audit rows and archive rows are only ever added."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ANN003
        raise Immutable(_("审计记录只能追加，不能修改"))

    def delete(self):
        raise Immutable(_("审计记录只能追加，不能删除"))


class AppendOnlyModel(models.Model):
    """Refuses in Python what the PostgreSQL triggers refuse in the database (orgs/migrations/0007_audit_hash_chain.py)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # noqa: ANN002,ANN003
        if self.pk is not None:
            raise Immutable(_("审计记录只能追加，不能修改"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002,ANN003
        raise Immutable(_("审计记录只能追加，不能删除"))


class AuditEventQuerySet(AppendOnlyQuerySet):
    def for_object(self, obj: models.Model) -> "AuditEventQuerySet":
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditEvent(AppendOnlyModel):
    """Append-only trail of every decision, recommendation, download, export and account change.

    Tamper evidence: each row carries `hash` = SHA-256 of the previous row's hash and its own content, written
    under one lock (orgs.services.audit.audit_record), so changing or removing a row breaks every later link.
    """

    Immutable = Immutable

    # The chain's first link points at this (and so does the first row after an archive's last one: its hash).
    GENESIS = "0" * 64

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, blank=True
    )
    # Set before saving (not auto_now_add) so that the hash can cover it.
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64)
    org = models.ForeignKey(
        Org, verbose_name=_("所属组织"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    prev_hash = models.CharField(_("上一条校验值"), max_length=64, blank=True)
    hash = models.CharField(_("校验值"), max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    @property
    def action_label(self) -> str:
        from orgs.audit_actions import audit_action_label

        return audit_action_label(self.action)

    def chain_hash(self, prev_hash: str) -> str:
        return audit_chain_hash(prev_hash, self)


def audit_chain_hash(prev_hash: str, event) -> str:
    """SHA-256 of the previous hash and every field a reader relies on, in a form that survives the database
    round trip (UTC time to the microsecond, JSON with sorted keys). Also used by the migration that chained the
    rows written before the chain existed, so it takes any object with the fields."""
    at = event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    content = [prev_hash, at, event.actor_id, event.ip, event.action, event.object_type, event.object_id,
               event.org_id, event.comment, event.data]
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AuditArchive(AppendOnlyModel):
    """A run of the oldest audit rows, written to a compressed file before they were removed from the table.

    The PostgreSQL trigger on orgs_auditevent lets a row be deleted only when it is past the retention floor and
    an archive row naming it exists; `last_hash` anchors the chain of the rows that remain.
    """

    created_at = models.DateTimeField(_("归档时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    first_id = models.BigIntegerField(_("起始记录编号"))
    last_id = models.BigIntegerField(_("截止记录编号"))
    row_count = models.PositiveIntegerField(_("记录数"))
    cutoff = models.DateTimeField(_("归档截止时间"), help_text=_("早于此时间的记录已归档"))
    first_prev_hash = models.CharField(_("首条记录的上一条校验值"), max_length=64)
    last_hash = models.CharField(_("末条记录校验值"), max_length=64)
    file_name = models.CharField(_("归档文件"), max_length=200)
    file_sha256 = models.CharField(_("归档文件 SHA-256"), max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计归档")
        verbose_name_plural = _("审计归档")
        ordering = ["last_id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.first_id}–{self.last_id})"


# --- targets and progress ---------------------------------------------------------------------------------


class Target(models.Model):
    """A yearly goal of one organisation for one metric; the level above sets and changes it."""

    class Metric(models.TextChoices):
        # New individual members admitted at the org's own level anywhere in its area (subtree).
        NEW_MEMBERS = "new_members", _("新增个人会员")
        # Recommendations the org itself made to its parent (for cities and provincial societies: the province).
        RECOMMENDATIONS = "recommendations", _("向上级推荐")
        UNIT_MEMBERS = "unit_members", _("新增单位会员")
        # Percent growth of the org's own individual members over the previous year end.
        MEMBER_GROWTH_PCT = "member_growth_pct", _("个人会员增长率（%）")
        # Level totals, held on the province: new members admitted by all orgs of one level.
        NEW_MEMBERS_PROVINCE_LEVEL = "new_members_province_level", _("省级新增会员总数")
        NEW_MEMBERS_CITY_LEVEL = "new_members_city_level", _("市级新增会员总数")
        NEW_MEMBERS_COUNTY_LEVEL = "new_members_county_level", _("县级新增会员总数")

    LEVEL_TOTALS = (Metric.NEW_MEMBERS_PROVINCE_LEVEL, Metric.NEW_MEMBERS_CITY_LEVEL, Metric.NEW_MEMBERS_COUNTY_LEVEL)

    org = models.ForeignKey(Org, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("年度"))
    metric = models.CharField(_("指标"), max_length=32, choices=Metric.choices)
    value = models.PositiveIntegerField(_("目标值"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("修改人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("年度目标")
        verbose_name_plural = _("年度目标")
        constraints = [models.UniqueConstraint(fields=["org", "year", "metric"], name="one_target_per_org_year_metric")]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.year}/{self.metric}={self.value}"

    @classmethod
    def metrics_for(cls, org: Org) -> list[str]:
        """Metrics that make sense for an org: level totals on the root and on every provincial 科协 (several
        provinces may sit under a national root), area metrics below them."""
        if org.parent_id is None or (org.level == Org.Level.PROVINCE and org.kind == Org.Kind.KEXIE):
            return list(cls.LEVEL_TOTALS)
        metrics = [cls.Metric.NEW_MEMBERS, cls.Metric.RECOMMENDATIONS, cls.Metric.UNIT_MEMBERS]
        if org.kind == Org.Kind.SOCIETY:
            metrics.append(cls.Metric.MEMBER_GROWTH_PCT)
        return metrics


class ProgressSnapshot(models.Model):
    """Counts of one org and year, either its own or rolled up over its subtree, as of `computed_at`.

    `counts` maps a count key (orgs.figures.COUNTS) to a number, `monthly` maps the dated ones to twelve
    monthly numbers, `completion` (subtree rows only) maps each target metric to target, actual and ratio;
    `digest` fingerprints the three.
    Keys live in data rather than columns, so a new count is one entry in orgs.figures and one source in
    approvals.progress.
    """

    class Scope(models.TextChoices):
        OWN = "own", _("本组织")
        SUBTREE = "subtree", _("含下级")

    org = models.ForeignKey(Org, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    scope = models.CharField(_("范围"), max_length=8, choices=Scope.choices)
    counts = models.JSONField(_("计数"), default=dict)
    monthly = models.JSONField(_("月度计数"), default=dict)
    completion = models.JSONField(_("目标完成情况"), default=dict, blank=True)
    # A fingerprint of counts, monthly and completion (orgs.figures.snapshot_digest): a recount compares it
    # instead of reading back every row's JSON. Empty on rows written before it existed (rewritten once).
    digest = models.CharField(_("摘要"), max_length=32, blank=True, default="")
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("进度快照")
        verbose_name_plural = _("进度快照")
        constraints = [
            models.UniqueConstraint(fields=["org", "year", "scope"], name="one_snapshot_per_org_year_scope")
        ]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.year}/{self.scope}"


class ProgressDirtyMark(models.Model):
    """An org whose counts changed since the last incremental recompute (one row per org, re-marked in place)."""

    org = models.OneToOneField(Org, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(_("标记时间"))

    class Meta:
        verbose_name = _("待重算标记")
        verbose_name_plural = _("待重算标记")

    def __str__(self) -> str:
        return f"{self.org_id}@{self.marked_at:%Y-%m-%d %H:%M:%S}"


class ProgressDelta(models.Model):
    """A counted change of one org's own progress figures, written in the transaction of the event that caused it
    (a decision, a membership change): `n` added to `key` of `year` (and to its `month` when the figure is kept
    monthly). The progress recompute adds pending rows to the snapshots up the tree and deletes them, once."""

    org = models.ForeignKey(Org, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    key = models.CharField(_("数字"), max_length=40)
    month = models.PositiveSmallIntegerField(_("月份"), null=True, blank=True)
    n = models.BigIntegerField(_("变化量"))

    class Meta:
        verbose_name = _("进度增量")
        verbose_name_plural = _("进度增量")

    def __str__(self) -> str:
        return f"{self.org_id}/{self.year}/{self.key}/{self.month}:{self.n:+d}"


# --- API access -------------------------------------------------------------------------------------------


class ServiceToken(models.Model):
    """A credential an administrator gives a reporting system: it reaches exactly `org` and its subtree,
    only for its scopes, until it expires or is revoked. Only the SHA-256 of the secret is stored; the secret
    is shown once when the token is created."""

    class Scope(models.TextChoices):
        READ_PROGRESS = "read_progress", _("读取发展进度")
        READ_MEMBERS = "read_members", _("读取会员名册")
        DECIDE = "decide", _("审核入会申请")

    org = models.ForeignKey(Org, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="service_tokens")
    name = models.CharField(_("名称"), max_length=100, help_text=_("用途，例如“市统计报表系统”"))
    scopes = models.JSONField(_("权限范围"), default=list)
    prefix = models.CharField(_("令牌前缀"), max_length=16, help_text=_("便于辨认，不足以使用令牌"))
    secret_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("服务令牌")
        verbose_name_plural = _("服务令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def rate_key(self) -> str:
        return f"service:{self.pk}"


# --- webhooks ---------------------------------------------------------------------------------------------


class WebhookEndpointQuerySet(models.QuerySet):
    def active(self) -> "WebhookEndpointQuerySet":
        return self.filter(revoked_at__isnull=True)

    def covering(self, org: Org) -> "WebhookEndpointQuerySet":
        """Endpoints registered on `org` or any organisation above it: an endpoint hears its whole subtree."""
        return self.filter(org__tree_id=org.tree_id, org__lft__lte=org.lft, org__rght__gte=org.rght)


class WebhookEndpoint(models.Model):
    """An HTTPS address an administrator registered for an organisation: the chosen events of that
    organisation and everything below it are POSTed there, signed with the endpoint's secret. The secret is
    stored encrypted (it must be usable to sign) and shown once when the endpoint is registered."""

    class Event(models.TextChoices):
        APPLICATION_SUBMITTED = "application.submitted", _("入会申请已提交")
        APPLICATION_DECIDED = "application.decided", _("入会申请已审核（批准、退回或不予通过）")
        MEMBERSHIP_CREATED = "membership.created", _("新增会员资格")
        MEMBERSHIP_CHANGED = "membership.changed", _("会员资格变更（等级、状态、转出、重新登记）")
        RECOMMENDATION_CREATED = "recommendation.created", _("推荐至上级组织")

    org = models.ForeignKey(Org, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("接收地址"), max_length=500)
    description = models.CharField(_("说明"), max_length=100, blank=True)
    events = models.JSONField(_("订阅的事件"), default=list)
    secret_encrypted = models.TextField(_("签名密钥（密文）"))
    secret_prefix = models.CharField(_("密钥前缀"), max_length=16, help_text=_("便于辨认，不足以签名"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("Webhook 端点")
        verbose_name_plural = _("Webhook 端点")

    def __str__(self) -> str:
        return f"{self.org_id}: {self.url}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def event_labels(self) -> list[str]:
        return [str(self.Event(e).label) for e in self.events if e in self.Event.values]


class WebhookDelivery(models.Model):
    """The outbox row of one event for one endpoint, written in the transaction of the event. The worker
    claims it when due, POSTs it and records the answer; failures are retried with backoff until
    WEBHOOK_RETRY_WINDOW after the event, then the row is marked failed. 重新投递 writes a new row."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待投递")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("投递失败")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("端点"), on_delete=models.CASCADE, related_name="deliveries"
    )
    delivery_id = models.UUIDField(_("投递编号"), unique=True)
    event_id = models.UUIDField(_("事件编号"), db_index=True, help_text=_("同一事件的各次投递相同，接收方可据此去重"))
    event = models.CharField(_("事件"), max_length=32, choices=WebhookEndpoint.Event.choices)
    payload = models.JSONField(_("内容"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("投递次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次投递时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    last_attempt_at = models.DateTimeField(_("最近投递时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("响应状态码"), null=True, blank=True)
    response_body = models.TextField(_("响应内容（节选）"), blank=True)
    error = models.CharField(_("错误"), max_length=200, blank=True)
    redelivery_of = models.ForeignKey(
        "self", verbose_name=_("重新投递自"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    redelivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("重新投递人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Webhook 投递")
        verbose_name_plural = _("Webhook 投递")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"

    @property
    def payload_text(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False, indent=2)
