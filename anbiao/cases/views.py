from django.core.exceptions import PermissionDenied
from django.views.decorators.http import require_GET


@require_GET
def case_board(request):
    raise PermissionDenied("创建进度模块尚未启用")
