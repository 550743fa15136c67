"""Background tasks of the campaigns app (run by `anbiao db-worker`): computing the dashboard
figures of a large scope (campaigns/cache.py), and keeping the counts of the scopes asked lately
current after an import (counts.keep_current)."""

from datetime import date

from django.db import transaction
from django_tasks import task

from anbiao.accounts.models import Region, User
from anbiao.campaigns import counts, selectors
from anbiao.campaigns.cache import RecordingStore, save_parts
from anbiao.campaigns.figure_version import data_version
from anbiao.campaigns.models import Campaign


def refresh_dashboard_now(
    *, user_id: int, campaign_id: int, on: str, region_id: int | None
) -> None:
    """Compute every figure of one dashboard as its user sees it and keep them under the data
    version read before reading any data (a write meanwhile moves the version: the page then
    asks again)."""
    user = User.objects.select_related("region").get(pk=user_id)
    campaign = Campaign.objects.select_related("region").get(pk=campaign_id)
    region = Region.objects.filter(pk=region_id).first() if region_id else None
    version = data_version()
    recorder = RecordingStore()
    board = selectors.dashboard(
        user=user, campaign=campaign, on=date.fromisoformat(on), region=region, store=recorder
    )
    save_parts(user, board.scope, version, recorder.parts)


@task()
def refresh_dashboard(user_id: int, campaign_id: int, on: str, region_id: int | None) -> None:
    """Background: see refresh_dashboard_now."""
    refresh_dashboard_now(user_id=user_id, campaign_id=campaign_id, on=on, region_id=region_id)


def queue_refresh(user, campaign: Campaign, on: date, region: Region | None):
    """What the page calls when a large scope's figures are out of date."""

    def enqueue() -> None:
        region_id = region.pk if region else None
        refresh_dashboard.enqueue(user.pk, campaign.pk, on.isoformat(), region_id)

    return enqueue


@task()
def keep_counts_current() -> int:
    """Background: see counts.keep_current. Queued after every import and by the schedule's
    clock (`anbiao run-scheduled --every`), which catches the other writes that move every
    block (a region, a campaign); a run with nothing to count reads a few cache keys."""
    return counts.keep_current()


def queue_keep_counts(**_signal) -> None:
    """The receiver of `rows_imported`: count again once the import is committed."""
    transaction.on_commit(keep_counts_current.enqueue)
