from django.contrib import admin

from approvals.models import Application, Recommendation


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("person", "org", "status", "submitted_at", "decided_at")
    list_filter = ("status",)
    raw_id_fields = ("person", "org", "decided_by", "recommendation")


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ("person", "from_org", "to_org", "created_at")
    raw_id_fields = ("person", "from_org", "to_org", "source_membership", "source_application", "recommended_by")
