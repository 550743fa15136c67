from django.db import models


class RegionLevel(models.TextChoices):
    DISTRICT = "district", "区县"
    SUBDISTRICT = "subdistrict", "镇街"
    COMMUNITY = "community", "社区/村"


class Role(models.TextChoices):
    """Built-in roles (docs/roles-and-scope.md). What each may do lives in
    `permissions.ROLE_PERMISSIONS`."""

    ADMIN = "admin", "系统管理员"
    DISTRICT = "district", "区专班"
    STATION = "station", "街道安监站"
    DEPARTMENT = "department", "行业部门"
    ENTERPRISE = "enterprise", "企业用户"
    AGENCY = "agency", "第三方机构"
    EXPERT = "expert", "专家"


# Roles whose data scope is a region subtree; the others are scoped to an enterprise or agency.
REGION_ROLES = {Role.ADMIN, Role.DISTRICT, Role.STATION, Role.DEPARTMENT}
