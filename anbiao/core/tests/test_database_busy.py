"""A write that still finds the database locked after the busy timeout answers a Chinese 503
page (with Retry-After), never a 500 (core/middleware.py, DatabaseBusyMiddleware)."""

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from anbiao.core.middleware import DatabaseBusyMiddleware


def view(request):
    raise AssertionError("not called")


@pytest.mark.django_db
def test_database_is_locked_becomes_a_chinese_503_and_other_errors_pass_through():
    middleware = DatabaseBusyMiddleware(view)
    request = RequestFactory().post("/enterprises/1/edit/")
    response = middleware.process_exception(request, OperationalError("database is locked"))
    assert response.status_code == 503 and response["Retry-After"] == "10"
    assert "系统繁忙,请稍后再试" in response.content.decode()
    assert middleware.process_exception(request, OperationalError("no such table: x")) is None
    assert middleware.process_exception(request, ValueError("database is locked")) is None
