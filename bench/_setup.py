"""Shared start-up for benchmark scripts: a fresh database in a temporary directory."""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_with_fresh_database() -> Path:
    """Point anbiao at an empty temporary var dir, set Django up and migrate."""
    workdir = Path(tempfile.mkdtemp(prefix="anbiao-bench-"))
    os.environ.setdefault("ANBIAO_VAR_DIR", str(workdir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ANBIAO_DEV", "1")  # benchmarks run on the development key
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return workdir


def write_ledger(path: Path, rows: int, seed: int = 7) -> None:
    """A realistic ledger workbook of `rows` enterprises, all in 民安街道's communities."""
    import random

    import xlsxwriter

    from anbiao.core.uscc import check_character

    rng = random.Random(seed)
    industries = ["机械", "轻工", "建材", "纺织", "冶金", "有色", "商贸"]
    words = ["机械", "食品", "五金", "塑胶", "包装", "纺织", "石材", "贸易"]
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["应创安全生产标准化非火炬高新区小微企业情况统计表"])
    header = [
        "序号",
        "企业名称",
        "统一社会信用代码",
        "所属镇街",
        "生产经营地址",
        "行业",
        "企业规模",
        "从业人员数",
        "主要负责人",
        "联系电话",
        "纳入台账日期",
        "是否符合创建条件",
        "不符合原因",
        "重点风险",
    ]
    sheet.write_row(1, 0, header)
    for i in range(rows):
        body = f"91350213MA{i:07d}"
        uscc = body + check_character(body)
        sheet.write_row(
            2 + i,
            0,
            [
                i + 1,
                f"厦门{i}号{rng.choice(words)}有限公司",
                uscc,
                "民安街道",
                f"厦门市翔安区民安街道测试路{i}号",
                rng.choice(industries),
                rng.choice(["小型", "微型"]),
                rng.randint(3, 150),
                "张三",
                13800000000 + i,
                "2025-02-28",
                *rng.choice([("是", ""), ("是", ""), ("是", ""), ("否", "仅办公")]),
                rng.choice(["", "粉尘涉爆", "有限空间作业"]),
            ],
        )
    book.close()


class Transactions:
    """Times the transactions run on `connection` while in use (`with Transactions(c) as t:`):
    from a transaction's first statement to its commit or rollback — on SQLite, how long the
    write lock was held and others' writes could wait. `longest` and `total` are seconds."""

    def __init__(self, connection):
        self.connection = connection
        self.longest = self.total = 0.0
        self.count = 0
        self.started = None

    def _statement(self, execute, sql, params, many, context):
        if self.started is None and self.connection.in_atomic_block:
            self.started = time.perf_counter()
        return execute(sql, params, many, context)

    def _ended(self):
        if self.started is not None:
            seconds = time.perf_counter() - self.started
            self.longest = max(self.longest, seconds)
            self.total += seconds
            self.count += 1
            self.started = None

    def __enter__(self):
        connection = self.connection
        self.commit, self.rollback = connection.commit, connection.rollback

        def commit():
            self.commit()
            self._ended()

        def rollback():
            self.rollback()
            self._ended()

        connection.commit, connection.rollback = commit, rollback
        self.wrapper = connection.execute_wrapper(self._statement)
        self.wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self.wrapper.__exit__(*exc)
        self.connection.commit, self.connection.rollback = self.commit, self.rollback
