"""Background tasks of the schedule (run by `anbiao db-worker`)."""

from django_tasks import task


@task()
def tick() -> int:
    """Run every scheduled job that is due; returns how many runs were made."""
    from anbiao.notifications.schedule import run_due

    return len(run_due())
