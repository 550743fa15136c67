"""Trying rows without keeping the write lock (core/imports/batches.py): groups are tried in
short transactions, each rolled back."""

import pytest
from django.db import connection

from anbiao.core.imports.batches import try_in_rolled_back_batches
from anbiao.testing.factories import make_enterprise

pytestmark = pytest.mark.django_db


def test_each_batch_is_a_transaction_rolled_back_and_its_length_is_bounded(reference):
    seen = []

    def attempt(n):
        seen.append((n, connection.in_atomic_block))
        make_enterprise(name=f"试写{n}号公司")

    from anbiao.enterprises.models import Enterprise

    before = Enterprise.objects.count()
    assert try_in_rolled_back_batches(range(4), attempt, seconds=0) == 4
    assert try_in_rolled_back_batches(range(4), attempt, seconds=60) == 1
    assert try_in_rolled_back_batches([], attempt, seconds=0) == 1
    assert seen == [(n, True) for n in range(4)] * 2
    assert Enterprise.objects.count() == before
