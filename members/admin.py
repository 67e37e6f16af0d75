from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from members.models import Membership, Notice, Person, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("科协", {"fields": ("full_name", "mobile", "department")}),)
    list_display = ("username", "full_name", "mobile", "department", "is_active")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "id_number_masked", "mobile", "employer")
    search_fields = ("name", "mobile")
    exclude = ("id_number_encrypted", "id_number_index")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("number", "person", "org", "grade", "status")
    raw_id_fields = ("person", "org", "application")


admin.site.register(Notice)
