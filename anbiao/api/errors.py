"""One error body for every refusal of the API: {"errors": [{"field", "code", "message"}]}.

Service functions raise Django's ValidationError (with the field names and the same Chinese
messages the web forms show), PermissionDenied and Http404; these turn them into JSON."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as SchemaValidationError


class ErrorItem(Schema):
    field: str | None = None
    code: str
    message: str


class ErrorBody(Schema):
    errors: list[ErrorItem]


class ApiError(Exception):
    """A refusal with an HTTP status, a machine-readable code and a Chinese message."""

    def __init__(self, status: int, code: str, message: str, field=None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}


def body(*errors: tuple) -> dict:
    return {"errors": [{"field": f, "code": c, "message": m} for f, c, m in errors]}


def from_validation_error(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        items = [
            (None if field == "__all__" else field, error.code or "invalid", message)
            for field, errors in exc.error_dict.items()
            for error in errors
            for message in error.messages
        ]
    else:
        items = [(None, e.code or "invalid", m) for e in exc.error_list for m in e.messages]
    return body(*items)


# Pydantic's error types, as a person reads them.
SCHEMA_MESSAGES = {
    "missing": "必须填写",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "bool_parsing": "须为 true 或 false",
    "bool_type": "须为 true 或 false",
    "date_parsing": "须为日期,格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "须为日期,格式 YYYY-MM-DD",
    "date_type": "须为日期,格式 YYYY-MM-DD",
    "datetime_parsing": "须为时间,格式 YYYY-MM-DDTHH:MM:SS+08:00",
    "datetime_from_date_parsing": "须为时间,格式 YYYY-MM-DDTHH:MM:SS+08:00",
    "datetime_type": "须为时间,格式 YYYY-MM-DDTHH:MM:SS+08:00",
    "string_type": "须为文本",
    "string_too_long": "过长",
    "string_too_short": "过短",
    "greater_than_equal": "过小",
    "less_than_equal": "过大",
    "greater_than": "过小",
    "less_than": "过大",
    "literal_error": "不是可选值之一",
    "enum": "不是可选值之一",
    "decimal_parsing": "须为数字",
    "float_parsing": "须为数字",
    "json_invalid": "请求体不是有效的JSON",
    "model_attributes_type": "请求体须为JSON对象",
    "dict_type": "请求体须为JSON对象",
    "extra_forbidden": "不是可接受的字段",
}


def from_schema_errors(errors: list[dict]) -> dict:
    items = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
        loc = [part for part in loc if part not in ("body", "query", "path", "header", "payload")]
        field = loc[-1] if loc else None
        kind = error.get("type", "invalid")
        text = SCHEMA_MESSAGES.get(kind, "取值无效")
        items.append((field, kind, f"“{field}”{text}" if field else text))
    return body(*items)


def install(api) -> None:
    """Register the handlers that give every refusal the one error body."""

    def respond(request, status, data, headers=None):
        response = api.create_response(request, data, status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    @api.exception_handler(ApiError)
    def api_error(request, exc: ApiError):
        data = body((exc.field, exc.code, exc.message))
        return respond(request, exc.status, data, exc.headers)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        return respond(request, 422, from_validation_error(exc))

    @api.exception_handler(SchemaValidationError)
    def schema_error(request, exc: SchemaValidationError):
        return respond(request, 422, from_schema_errors(exc.errors))

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc: PermissionDenied):
        return respond(request, 403, body((None, "forbidden", str(exc) or "您没有此操作的权限")))

    @api.exception_handler(Http404)
    def not_found(request, exc: Http404):
        return respond(
            request, 404, body((None, "not_found", str(exc) or "不存在或不在您的管辖范围内"))
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        message = "请在 Authorization 头中提供有效的接口令牌(Bearer)"
        return respond(request, 401, body((None, "unauthorized", message)))
