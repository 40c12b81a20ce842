"""Deprecated home of the roles: they moved to `cliqserve.core.roles`.

Kept only while parallel branches still import this path; removed once they have merged.
"""

from cliqserve.core.roles import ALL_ROLES, ASSIGNABLE_ROLES, BRANCH_ROLES, TENANT_ROLES, Role

__all__ = ["ALL_ROLES", "ASSIGNABLE_ROLES", "BRANCH_ROLES", "TENANT_ROLES", "Role"]
