"""URLs of the API (/api/v1/…, the docs page) and of the token pages (/api-tokens/…)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, path

from anbiao.api import views
from anbiao.api.api import api


def _public(patterns):
    """The API authenticates each request itself (token or session, 401 as JSON); the site's
    login-redirect middleware must not turn that into a redirect to the login page."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _public(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            if pattern.name == "api-root":  # ninja names its root; it answers with our docs
                pattern.callback = views.docs
            pattern.callback = login_not_required(pattern.callback)
    return patterns


api_patterns, app_name, namespace = api.urls
api_urls = ([path("docs/", views.docs, name="docs"), *_public(api_patterns)], app_name)

token_urls = (
    [
        path("", views.token_list, name="list"),
        path("new/", views.token_create, name="create"),
        path("<int:pk>/revoke/", views.token_revoke, name="revoke"),
        path("uses/", views.token_uses, name="uses"),
    ],
    "tokens",
)
