"""Logs every request made with an API token (who, when, endpoint, IP, status)."""

from anbiao.api.services import token_use_record


class TokenUseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token = getattr(request, "api_token", None)
        if token is not None:
            token_use_record(
                token=token,
                method=request.method,
                path=request.get_full_path(),
                status=response.status_code,
                ip=request.META.get("REMOTE_ADDR"),
            )
        return response
