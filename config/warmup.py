"""Load what a first request would otherwise load: the URL map with every view module, and
every template compiled into the cached loader. Run once in gunicorn's master (config/gunicorn.py)
so that forked workers inherit it."""

import time
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.template.loader import get_template
from django.urls import get_resolver, reverse


def warm_up() -> float:
    started = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018 - imports every urls and views module
    reverse("home")  # builds the reverse map
    for folder in settings.TEMPLATES[0]["DIRS"]:
        for path in sorted(Path(folder).rglob("*.html")):
            get_template(path.relative_to(folder).as_posix())
    connections.close_all()  # a forked worker must not share the master's connection
    return time.perf_counter() - started
