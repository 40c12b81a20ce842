"""The Django admin, with our site (accounts.admin_site) as `admin.site`.

Apart from accounts.admin_site: INSTALLED_APPS imports this before the models are ready.
"""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "cliqserve.accounts.admin_site.AdminSite"
