from django.urls import include, path

from anbiao.api.urls import api_urls, token_urls
from anbiao.campaigns.home import home
from anbiao.core import audit_log

urlpatterns = [
    path("", home, name="home"),
    path("audit/", audit_log.audit_log, name="audit_log"),
    path("audit/export/", audit_log.audit_log_export, name="audit_log_export"),
    path("accounts/", include("anbiao.accounts.urls")),
    path("enterprises/", include("anbiao.enterprises.urls")),
    path("cases/", include("anbiao.cases.urls")),
    path("imports/", include("anbiao.core.imports.urls")),
    path("surveys/", include("anbiao.surveys.urls")),
    path("campaigns/", include("anbiao.campaigns.urls")),
    path("agencies/", include("anbiao.agencies.urls")),
    path("benchmarks/", include("anbiao.benchmarks.urls")),
    path("training/", include("anbiao.training.urls")),
    path("notifications/", include("anbiao.notifications.urls")),
    path("dispatches/", include("anbiao.dispatches.urls")),
    path("filings/", include("anbiao.filings.urls")),
    path("supervision/", include("anbiao.supervision.urls")),
    path("api/v1/", include(api_urls, namespace="api")),
    path("api-tokens/", include(token_urls, namespace="tokens")),
]
