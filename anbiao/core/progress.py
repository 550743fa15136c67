"""Progress of a background job (an import or an export) for its page's bar: a small JSON file
the worker rewrites as it goes and the page reads. The file's modification time doubles as the
worker's heartbeat (docs/import-ledger.md, "Large files")."""

import json
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone


def progress_path(kind: str, job_id: int) -> Path:
    """Where the progress of job `job_id` of `kind` ("imports", "exports") is kept."""
    return Path(settings.MEDIA_ROOT) / kind / "progress" / f"{job_id}.json"


def write_progress(path: Path, **values) -> None:
    """Replace the progress file at once (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(values))
    tmp.replace(path)


def read_progress(
    path: Path, *, total_rows: int, started_at: datetime | None, queued: bool
) -> dict:
    """Rows done / total, elapsed and estimated seconds left, as the progress bar shows them."""
    done = 0
    if path.exists():
        try:
            done = json.loads(path.read_text()).get("done", 0)
        except (ValueError, OSError):
            done = 0
    total = max(total_rows, done, 1)
    elapsed = (timezone.now() - started_at).total_seconds() if started_at else 0
    left = elapsed * (total - done) / done if done else None
    return {
        "queued": queued,
        "done": done,
        "total": total,
        "percent": int(done * 100 / total),
        "elapsed": int(elapsed),
        "left": int(left) if left is not None else None,
    }
