"""Who is calling the API: a personal token (Authorization: Bearer …) or, for reads from the
browser (the docs page's “Try it out”), the signed-in session.

A token acts as its owner: `request.user` becomes the owner, so every selector and service
applies the owner's role and scope exactly as on the web. Refused: unknown, revoked or expired
tokens and inactive owners (401), writes with a read-only token (403), more than
ANBIAO_API_RATE_LIMIT requests in a minute (429).
"""

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from ninja.security import HttpBearer

from anbiao.accounts.access import require
from anbiao.api.errors import ApiError
from anbiao.api.services import token_for

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
WINDOW_SECONDS = 60


def rate_limited(token) -> int | None:
    """Count one request in the token's current fixed one-minute window; the seconds until the
    window ends when the limit is exceeded, else None. The counter lives in the Django cache."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"api-rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: start the window again
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    if count > settings.ANBIAO_API_RATE_LIMIT:
        return max(1, int(WINDOW_SECONDS - now % WINDOW_SECONDS))
    return None


class TokenAuth(HttpBearer):
    """Bearer token first; without an Authorization header, a signed-in session for reads."""

    def __call__(self, request):
        header = request.headers.get("Authorization")
        if not header:
            user = getattr(request, "user", None)
            if request.method in SAFE_METHODS and user is not None and user.is_authenticated:
                return user
            return None
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiError(401, "unauthorized", "请使用 Authorization: Bearer <令牌> 提供接口令牌")
        return self.authenticate(request, secret.strip())

    def authenticate(self, request, token):
        found = token_for(token)
        if found is None:
            raise ApiError(401, "invalid_token", "接口令牌无效")
        request.api_token = found  # logged with the response status, refused or not
        if found.revoked_at is not None:
            raise ApiError(401, "token_revoked", "接口令牌已吊销")
        if found.is_expired:
            raise ApiError(401, "token_expired", f"接口令牌已于{found.expires_on}过期")
        if not found.user.is_active:
            raise ApiError(401, "user_inactive", "令牌所属账号已停用")
        if found.read_only and request.method not in SAFE_METHODS:
            raise ApiError(403, "read_only_token", "只读令牌不能修改数据")
        wait = rate_limited(found)
        if wait is not None:
            raise ApiError(
                429,
                "rate_limited",
                f"请求过于频繁:每个令牌每分钟最多 {settings.ANBIAO_API_RATE_LIMIT} 次,"
                f"请 {wait} 秒后再试",
                headers={"Retry-After": str(wait)},
            )
        request.user = found.user
        return found.user


# The permission each operation requires, by operation name: checked by `requires` below and
# copied onto the operation's URL callback (urls.py) for the access test, like `@requires` on a
# page.
OPERATION_PERMISSIONS: dict[str, tuple[str, ...]] = {}


def requires(*perms: str):
    """Operation decorator (under `@router.get/post`): refuse (403, the error body) unless the
    caller — the token's owner or the signed-in user — holds every one of `perms`."""

    def decorate(func):
        @wraps(func)
        def guarded(request, *args, **kwargs):
            for perm in perms:
                require(request.user, perm)
            return func(request, *args, **kwargs)

        OPERATION_PERMISSIONS[func.__name__] = perms
        return guarded

    return decorate
