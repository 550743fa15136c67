"""Writes of filings (docs/filings.md): a station files its 镇街's figures for a period, the
district receives (签收) or returns (退回) them. Each is one transaction with its audit record."""

import hashlib
import os
import tempfile
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, require
from anbiao.accounts.choices import Role
from anbiao.accounts.models import Region, User
from anbiao.campaigns.models import Campaign
from anbiao.campaigns.reports import progress_form
from anbiao.core import audit
from anbiao.core.official_forms import write_official_form
from anbiao.filings.choices import FilingStatus
from anbiao.filings.models import Filing, FilingFile
from anbiao.filings.periods import ad_hoc, period_of
from anbiao.filings.snapshot import figures, scope_of
from anbiao.notifications.services import notify

SUBMIT_DENIED = "您没有报送数据的权限"
RECEIVE_DENIED = "您没有签收或退回报送的权限"


def _officers(region: Region, role: str) -> list[User]:
    """Active users of `role` whose region contains `region` (the district above a 镇街)."""
    paths = [region.path[: i + 1] for i, ch in enumerate(region.path) if ch == "/"]
    return list(
        User.objects.filter(role=role, is_active=True, region__path__in=[*paths, region.path])
    )


def _report_file(filing: Filing, *, actor) -> FilingFile:
    """The 进度报表 as filed (the same form as the dashboard's download), kept with the filing."""
    scope = scope_of(filing.campaign, filing.region, filing.as_of)
    form = progress_form(
        scope,
        unit=f"{filing.region.name}安监站",
        with_supervision=perms.has_perm(actor, perms.SUPERVISION_VIEW),
    )
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        write_official_form(path, form)
        with open(path, "rb") as fh:
            data = fh.read()
    finally:
        os.unlink(path)
    name = f"进度报表-{filing.region.name}-{filing.as_of:%Y%m%d}.xlsx"
    item = FilingFile(
        filing=filing,
        name=name,
        file_type="xlsx",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor_or_none(actor),
    )
    item.file.save(f"{item.sha256[:16]}.xlsx", ContentFile(data), save=False)
    item.save()
    return item


@transaction.atomic
def filing_submit(
    *, actor, campaign: Campaign, period: str = "", as_of: date | None = None, note: str = ""
) -> Filing:
    """File the actor's 镇街's figures: for a scheduled `period` (its key, e.g. "2025-06"), or
    ad hoc (临时报送) as of `as_of`. Freezes every figure, the enterprise ids behind the key
    numbers and the 进度报表, and tells the district."""
    require(actor, perms.FILING_SUBMIT, message=SUBMIT_DENIED)
    region = actor.region
    if region is None or region.level != "subdistrict":
        raise PermissionDenied("只有镇街安监站可以报送本镇街的数据")
    if not region.path.startswith(campaign.region.path):
        raise PermissionDenied("本镇街不在该专项行动的范围内")
    today = timezone.localdate()
    if period:
        found = period_of(campaign, period, today)
        if found is None:
            raise ValidationError({"period": f"报送期“{period}”不存在或尚未结束"})
    else:
        if as_of is None:
            raise ValidationError({"as_of": "临时报送须填写统计截至日期"})
        if as_of > today:
            raise ValidationError({"as_of": "统计日期不能晚于今天"})
        if as_of < campaign.starts_on:
            raise ValidationError({"as_of": "统计日期不能早于专项行动开始日期"})
        found = ad_hoc(as_of)
    if period:
        standing = (
            Filing.objects.select_for_update()
            .filter(campaign=campaign, region=region, period=period)
            .order_by("-filed_at", "-id")
            .first()
        )
        if standing is not None and standing.status != FilingStatus.RETURNED:
            raise ValidationError(
                {
                    "period": f"{found.label}已报送({standing.get_status_display()}),"
                    "退回后才能重新报送"
                }
            )
    filed_at = timezone.now()  # what is known now is what is frozen: recorded_at <= filed_at
    content = figures(campaign, region, found.as_of)
    filing = Filing.objects.create(
        campaign=campaign,
        region=region,
        period=found.key,
        period_label=found.label,
        as_of=found.as_of,
        due_on=found.due_on,
        note=(note or "").strip()[:500],
        filed_by=actor_or_none(actor),
        filed_at=filed_at,
        **content,
    )
    _report_file(filing, actor=actor)
    audit.record(
        actor=actor_or_none(actor),
        action="create",
        instance=filing,
        note=f"报送 {found.label}(截至{found.as_of:%Y-%m-%d})",
    )
    notify(
        users=_officers(region, Role.DISTRICT),
        rule="filing",
        title=f"{region.name}报送了{campaign.name}{found.label}的数据,请签收",
        url=reverse("filings:detail", args=[filing.pk]),
    )
    return filing


def _answer(actor, filing: Filing, status: str, comment: str, verb: str) -> Filing:
    require(actor, perms.FILING_RECEIVE, message=RECEIVE_DENIED)
    if actor.region_id is None or not filing.region.path.startswith(actor.region.path):
        raise PermissionDenied("该报送不在您的管辖范围内")
    locked = Filing.objects.select_for_update().get(pk=filing.pk)
    if locked.status != FilingStatus.FILED:
        raise ValidationError(f"该报送{locked.get_status_display()},不能再{verb}")
    before = audit.snapshot(locked, ["status", "comment"])
    locked.status, locked.comment = status, comment
    locked.answered_by, locked.answered_at = actor_or_none(actor), timezone.now()
    locked.save(update_fields=["status", "comment", "answered_by", "answered_at"])
    audit.record(
        actor=actor_or_none(actor),
        action="status",
        instance=locked,
        changes=audit.diff(locked, before),
    )
    title = f"区专班{verb}了{locked.region.name}{locked.period_label}的报送"
    notify(
        users=_officers(locked.region, Role.STATION),
        rule="filing",
        title=f"{title}:{comment}" if comment else title,
        url=reverse("filings:detail", args=[locked.pk]),
    )
    return locked


@transaction.atomic
def filing_receive(*, actor, filing: Filing) -> Filing:
    """签收: the district acknowledges what the station filed."""
    return _answer(actor, filing, FilingStatus.RECEIVED, "", "签收")


@transaction.atomic
def filing_return(*, actor, filing: Filing, comment: str) -> Filing:
    """退回: the district sends the filing back with its reason; the station files again."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "退回须写明意见"})
    return _answer(actor, filing, FilingStatus.RETURNED, comment[:500], "退回")
