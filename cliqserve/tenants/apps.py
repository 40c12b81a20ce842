from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "cliqserve.tenants"
    label = "tenants"
    verbose_name = "Tenants, branches and devices"
