from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin
from mptt.admin import MPTTModelAdmin

from orgs.models import AuditEvent, Org


@admin.register(Org)
class OrgAdmin(GuardedModelAdmin, MPTTModelAdmin):
    list_display = ("name", "code", "level", "kind", "is_active")
    list_filter = ("level", "kind", "is_active")
    search_fields = ("name", "code")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action_label", "object_type", "object_id", "ip")
    list_filter = ("action",)

    @admin.display(description=_("操作"), ordering="action")
    def action_label(self, event: AuditEvent) -> str:
        return event.action_label

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
