from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from mptt.models import MPTTModel, TreeForeignKey
from mptt.querysets import TreeQuerySet


class OrgQuerySet(TreeQuerySet):
    def active(self) -> "OrgQuerySet":
        return self.filter(is_active=True)

    def in_subtree(self, org: "Org") -> "OrgQuerySet":
        """The org itself and every descendant, by MPTT interval."""
        return self.filter(tree_id=org.tree_id, lft__gte=org.lft, rght__lte=org.rght)


class Org(MPTTModel):
    class Kind(models.TextChoices):
        KEXIE = "kexie", _("科协")
        SOCIETY = "society", _("学会")
        UNIVERSITY = "university", _("高校科协")
        ENTERPRISE = "enterprise", _("企业科协")
        PARK = "park", _("园区科协")

    class Level(models.TextChoices):
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
        ]
        indexes = [models.Index(fields=["tree_id", "lft", "rght"], name="org_subtree_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.code and not self.code.isalnum():
            raise ValidationError({"code": _("简码只能包含字母和数字")})


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


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ANN003
        raise AuditEvent.Immutable(_("审计记录只能追加，不能修改"))

    def delete(self):
        raise AuditEvent.Immutable(_("审计记录只能追加，不能删除"))

    def for_object(self, obj: models.Model) -> "AuditEventQuerySet":
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditEvent(models.Model):
    """Append-only trail of every decision, recommendation, download, export and account change."""

    class Immutable(Exception):
        pass

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, blank=True
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64)
    org = models.ForeignKey(
        Org, verbose_name=_("所属组织"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):  # noqa: ANN002,ANN003
        if self.pk is not None:
            raise AuditEvent.Immutable(_("审计记录只能追加，不能修改"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002,ANN003
        raise AuditEvent.Immutable(_("审计记录只能追加，不能删除"))
