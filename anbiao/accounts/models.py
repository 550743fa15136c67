from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from anbiao.accounts.choices import REGION_ROLES, RegionLevel, Role


class Region(models.Model):
    """A node of the administrative tree 区 → 镇街 → 社区/村 (GB/T 2260 style codes).

    `path` is the chain of codes from the root, each followed by "/", so a subtree is one
    `path__startswith` filter on an indexed column.
    """

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=50)
    level = models.CharField("层级", max_length=12, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField("路径", max_length=255, db_index=True, editable=False)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent else "") + self.code + "/"
        super().save(*args, **kwargs)

    def subtree(self):
        return Region.objects.filter(path__startswith=self.path)


class AnbiaoUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """`anbiao createsuperuser` makes a 系统管理员 (the first account of an empty install)."""
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in. Their role says what they may do, their scope where:
    a region subtree (admin, district, station, department), one enterprise, or an agency."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    role = models.CharField("角色", max_length=12, choices=Role.choices, default=Role.STATION)
    region = models.ForeignKey(
        Region,
        verbose_name="管辖区域",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="所属企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name="所属机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    department = models.CharField("所属部门", max_length=50, blank=True)
    must_change_password = models.BooleanField(
        "须修改密码",
        default=False,
        help_text="管理员重置密码后置位:下次登录须先修改密码",
    )

    objects = AnbiaoUserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def scope_label(self) -> str:
        if self.role in REGION_ROLES:
            return self.region.name if self.region else "全部区域"
        if self.role == Role.ENTERPRISE:
            return self.enterprise.name if self.enterprise else "未指定企业"
        if self.role == Role.AGENCY:
            return self.agency.name if self.agency else "未指定机构"
        return "评审任务"


class LoginLog(models.Model):
    """One login attempt, successful or not, with the address it came from. Kept ≥ 6 months."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "登录成功"
        FAILURE = "failure", "登录失败"
        LOCKED = "locked", "账号锁定"
        LOGOUT = "logout", "退出登录"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    username = models.CharField("用户名", max_length=150, db_index=True)
    user = models.ForeignKey(
        User, verbose_name="用户", null=True, blank=True, on_delete=models.SET_NULL
    )
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices)
    ip_address = models.GenericIPAddressField("IP地址", null=True, blank=True)
    user_agent = models.CharField("浏览器", max_length=255, blank=True)

    class Meta:
        verbose_name = "登录日志"
        verbose_name_plural = "登录日志"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.username} {self.get_outcome_display()}"


class DepartmentIndustry(models.Model):
    """One industry a department (行业部门) answers for in a region, from the division of work
    (分工表, 附件2) of a campaign file. A 行业部门 user sees the enterprises of its department's
    industries within its region (`scope.enterprise_scope_q`)."""

    region = models.ForeignKey(
        Region, verbose_name="行政区划", on_delete=models.CASCADE, related_name="+"
    )
    department = models.CharField("部门", max_length=100)
    industry = models.CharField("行业", max_length=20)
    source = models.CharField("来源", max_length=60, help_text="写入该分工的专项行动代码")

    class Meta:
        verbose_name = "行业部门分工"
        verbose_name_plural = "行业部门分工"
        ordering = ["region", "department", "industry"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "department", "industry"], name="department_industry_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.industry}"
