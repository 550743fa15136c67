"""Response headers every page of a signed-in user needs."""

from django.utils.cache import add_never_cache_headers


class NoStoreForSignedInMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in user: pages and exports show
    scoped data, which neither a shared proxy nor the browser's back button may keep."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class RefuseNullCharactersMiddleware:
    """A NUL character in a query or form value can never be meant, and PostgreSQL refuses to
    store or compare it (a 500 deep inside a query): answer 400 in Chinese before any view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get(
            "QUERY_STRING", ""
        ):
            return bad_request("网址中包含非法字符")
        if request.method == "POST" and "multipart" not in request.content_type:
            if any("\x00" in v for vs in request.POST.lists() for v in vs[1]):
                return bad_request("提交的内容中包含非法字符")
        return self.get_response(request)


def bad_request(message: str):
    from django.http import HttpResponseBadRequest

    return HttpResponseBadRequest(
        f"<!doctype html><meta charset=utf-8><title>请求无效</title><p>{message}</p>".encode(),
        content_type="text/html; charset=utf-8",
    )


class MissingFileMiddleware:
    """A stored file that is gone from the media folder (a restore without files, a disk
    fault) answers the Chinese 404 page instead of a 500, whichever view opened it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, FileNotFoundError):
            from django.http import Http404
            from django.views.defaults import page_not_found

            from anbiao.core.files import MISSING

            return page_not_found(request, Http404(MISSING))
        return None


class DatabaseBusyMiddleware:
    """A write that still finds SQLite locked after its busy timeout (another writer held the
    lock longer: a very large import on a slow disk) answers a Chinese 503 page with
    Retry-After instead of a 500 (docs/operations.md, "Troubleshooting")."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import OperationalError

        text = str(exception)
        if not isinstance(exception, OperationalError) or (
            "locked" not in text and "busy" not in text
        ):
            return None
        import logging

        from django.template.response import TemplateResponse

        logging.getLogger(__name__).warning("database busy: %s %s", request.method, request.path)
        response = TemplateResponse(request, "503.html", status=503)
        response["Retry-After"] = "10"
        return response.render()


class ClientAddressMiddleware:
    """The client's address for everything that records or limits by address (login log,
    change log, lockout by address). Behind the proxy every request comes from the proxy, so the
    address is taken from the header the proxy sets itself (ANBIAO_CLIENT_IP_HEADER, e.g.
    X-Real-IP); without that setting, from the connection. Also remembered for the change log,
    which services write without seeing the request."""

    def __init__(self, get_response):
        from django.conf import settings

        header = getattr(settings, "ANBIAO_CLIENT_IP_HEADER", "")
        self.meta_key = "HTTP_" + header.upper().replace("-", "_") if header else ""
        self.get_response = get_response

    def __call__(self, request):
        from anbiao.core.audit import request_address

        if self.meta_key:
            forwarded = request.META.get(self.meta_key, "").split(",")[0].strip()
            if _is_address(forwarded):
                request.META["REMOTE_ADDR"] = forwarded
        token = request_address.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            request_address.reset(token)


def _is_address(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
