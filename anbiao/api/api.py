"""The JSON API at /api/v1/ (django-ninja: typed pydantic schemas → the OpenAPI document).

Every operation authenticates with `TokenAuth` (a personal token, or the signed-in session for
reads) and then acts as that user: reads and writes go through the same selectors, services and
scope as the web pages. ninja's own docs page loads Swagger UI from a CDN; it is switched off and
replaced by our page (views.docs) that serves swagger-ui-dist from node_modules.
"""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from anbiao.api import errors, reads, writes
from anbiao.api.auth import TokenAuth

DESCRIPTION = """安标数据接口:供区、市平台和其他镇街系统同步数据、回传创建进度。

认证:在请求头中提供个人接口令牌 `Authorization: Bearer <令牌>`(在“接口令牌”页面创建);
令牌的数据范围即其所属账号的管辖范围。已登录的浏览器会话可直接调用查询接口。
错误统一返回 `{"errors": [{"field", "code", "message"}]}`。详见 docs/api.md。"""


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8, not \\u escapes: readable in logs and curl output."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=Utf8JSONRenderer(),
    title="安标数据接口",
    version="1.0.0",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,
)
errors.install(api)
api.add_router("", reads.router)
api.add_router("", writes.router)
