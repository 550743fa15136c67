from django.core.exceptions import PermissionDenied
from django.views.decorators.http import require_GET


@require_GET
def index(request):
    raise PermissionDenied("该模块尚未启用")
