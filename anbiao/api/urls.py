"""URLs of the API (/api/v1/…, the docs page) and of the token pages (/api-tokens/…)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, path

from anbiao.accounts.access import public
from anbiao.api import views
from anbiao.api.api import api
from anbiao.api.auth import OPERATION_PERMISSIONS


def _classify(patterns):
    """The API authenticates each request itself (token or session, 401 as JSON), so the site's
    login-redirect middleware must not turn a missing login into a redirect. Each operation's
    URL carries the permission its `requires` checks, for the access test; the schema and the
    root (which answers with our docs page) are public."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _classify(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            if pattern.name == "api-root":  # ninja needs its root's name to place the API
                pattern.callback = views.docs
            elif pattern.name in OPERATION_PERMISSIONS:
                view = login_not_required(pattern.callback)
                view.required_permissions = OPERATION_PERMISSIONS[pattern.name]
                view.access = "permission" if view.required_permissions else "login"
            else:
                pattern.callback = public(pattern.callback)
    return patterns


api_patterns, app_name, namespace = api.urls
api_urls = ([path("docs/", views.docs, name="docs"), *_classify(api_patterns)], app_name)

token_urls = (
    [
        path("", views.token_list, name="list"),
        path("new/", views.token_create, name="create"),
        path("<int:pk>/revoke/", views.token_revoke, name="revoke"),
        path("uses/", views.token_uses, name="uses"),
    ],
    "tokens",
)
