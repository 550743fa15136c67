from django.conf import settings
from django.core.paginator import Paginator


def paginate(request, queryset, per_page: int | None = None):
    """A page of `queryset` from ?page=, tolerant of bad or out-of-range numbers."""
    paginator = Paginator(queryset, per_page or settings.ANBIAO_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


def querystring_without(request, *names: str) -> str:
    """The current query string minus `names` (for pagination and sort links)."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()
