from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    # Replaces django.contrib.admin in INSTALLED_APPS so `admin.site` is kexie's, with the checked login.
    default_site = "kexie.admin_site.AdminSite"
