"""Personal API tokens and the log of their use.

A token belongs to one user and acts with exactly that user's role and scope: the API asks the
same `restrict`/`require` as the web, so there is no second scope. Only the SHA-256 digest of
the secret is stored; the secret itself is shown once, when the token is created.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A personal API token (个人访问令牌) of one user, optionally read-only, with an expiry."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="所属用户",
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField("名称", max_length=60)
    prefix = models.CharField("令牌前缀", max_length=12, editable=False)
    digest = models.CharField("令牌摘要", max_length=64, unique=True, editable=False)
    read_only = models.BooleanField("只读", default=True)
    expires_on = models.DateField("有效期至")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="吊销人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name}({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_on < timezone.localdate()

    @property
    def status_label(self) -> str:
        if self.revoked_at:
            return "已吊销"
        return "已过期" if self.is_expired else "有效"


class ApiTokenUse(models.Model):
    """One request made with a token: who, when, which endpoint, from where, with what result.
    Kept like the login log (at least 6 months) and visible to administrators."""

    token = models.ForeignKey(
        ApiToken, verbose_name="令牌", on_delete=models.CASCADE, related_name="uses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    method = models.CharField("方法", max_length=8)
    path = models.CharField("接口", max_length=300)
    status = models.PositiveSmallIntegerField("状态码")
    ip_address = models.GenericIPAddressField("IP地址", null=True, blank=True)

    class Meta:
        verbose_name = "接口调用记录"
        verbose_name_plural = "接口调用记录"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
