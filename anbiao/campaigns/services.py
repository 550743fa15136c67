"""Writes to campaigns: edit the plan (district task force), report task progress (the
responsible department or the station). One transaction each, audited."""

from datetime import date

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.accounts.models import Region
from anbiao.accounts.scope import regions_for
from anbiao.campaigns.choices import TaskStatus
from anbiao.campaigns.loader import load_campaign
from anbiao.campaigns.models import Campaign, Task, TaskFile, TaskUpdate
from anbiao.core import audit
from anbiao.core.evidence import check_upload
from anbiao.core.models import ChangeLog
from anbiao.core.reference_data import REFERENCE_DIR

CAMPAIGN_FIELDS = (
    "name",
    "issuer",
    "issued_on",
    "document_number",
    "region",
    "industries",
    "sizes",
    "exclude_torch_zone",
    "baseline_on",
    "starts_on",
    "ends_on",
    "summary",
)


@transaction.atomic
def campaign_save(*, actor, campaign: Campaign, data: dict) -> Campaign:
    """Create or change a campaign's basics (its targets, tasks: target_save, task_save)."""
    require(actor, perms.CAMPAIGN_MANAGE, message="您没有编辑专项行动的权限")
    creating = campaign.pk is None
    before = {} if creating else audit.snapshot(campaign, CAMPAIGN_FIELDS)
    for key, value in data.items():
        if key in (*CAMPAIGN_FIELDS, "slug") and not (key == "slug" and not creating):
            setattr(campaign, key, value)
    campaign.full_clean()
    campaign.save()
    audit.record(
        actor=actor,
        action=ChangeLog.Action.CREATE if creating else ChangeLog.Action.UPDATE,
        instance=campaign,
        changes=[] if creating else audit.diff(campaign, before),
    )
    return campaign


@transaction.atomic
def plan_item_save(*, actor, item, data: dict):
    """Create or change a target or a task of a campaign."""
    require(actor, perms.CAMPAIGN_MANAGE, message="您没有编辑专项行动的权限")
    creating = item.pk is None
    fields = [k for k in data if hasattr(item, k)]
    before = {} if creating else audit.snapshot(item, fields)
    for key in fields:
        setattr(item, key, data[key])
    item.full_clean()
    item.save()
    audit.record(
        actor=actor,
        action=ChangeLog.Action.CREATE if creating else ChangeLog.Action.UPDATE,
        instance=item,
        changes=[] if creating else audit.diff(item, before),
    )
    return item


def can_update_task(user, task: Task) -> bool:
    if not perms.has_perm(user, perms.TASK_UPDATE):
        return False
    if user.role == "department":
        return task.department == user.department or "各部门" in task.department
    return True


@transaction.atomic
def task_update(
    *, actor, task: Task, status: str, on: date, note: str = "", file=None
) -> TaskUpdate:
    """Report progress on a task: a dated status, note and optional evidence file."""
    if actor is not None and not can_update_task(actor, task):
        raise PermissionDenied("只有责任部门或安监站可以填报该任务进展")
    if status not in TaskStatus.values:
        raise ValidationError({"status": "状态无效"})
    if on > timezone.localdate():
        raise ValidationError({"on": "日期不能晚于今天"})
    checked = None
    if file is not None:
        checked = check_upload(file)  # type by content, size limit; Chinese refusal
    update = TaskUpdate(
        task=task,
        on=on,
        status=status,
        note=note.strip(),
        actor=actor if getattr(actor, "pk", None) else None,
    )
    update.save()
    if checked is not None:
        TaskFile.store(checked, uploaded_by=update.actor, update=update)
    before = audit.snapshot(task, ("status", "completed_on"))
    task.status = status
    task.completed_on = on if status == TaskStatus.DONE else None
    if note.strip():
        task.note = note.strip()
    task.save()
    audit.record(
        actor=actor,
        action=ChangeLog.Action.UPDATE,
        instance=task,
        changes=audit.diff(task, before),
        note=note[:200],
    )
    return update


def template_path(campaign: Campaign):
    """The plan file a campaign was loaded from (reference_data/campaigns/<slug>.yaml), if any:
    only a campaign with one can serve as a template."""
    path = REFERENCE_DIR / "campaigns" / f"{campaign.slug}.yaml"
    return path if path.is_file() else None


@transaction.atomic
def campaign_from_template(*, actor, template: Campaign, region: Region) -> Campaign:
    """A campaign for another 镇街 with the phases, targets and tasks of `template`'s plan (the
    shipped 民安 plan): its names say the new 镇街, its dates are the template's, and the
    district edits what differs in the UI. The division of work (分工表) is not copied: it
    decides what a 行业部门 sees and is set per 镇街."""
    require(actor, perms.CAMPAIGN_MANAGE, message="您没有创建专项行动的权限")
    if actor is not None and not regions_for(actor).filter(pk=region.pk).exists():
        raise ValidationError({"region": "该区域不在您的管辖范围内"})
    if region.level != "subdistrict":
        raise ValidationError({"region": "请选择一个镇街"})
    path = template_path(template)
    if path is None:
        raise ValidationError({"template": "该专项行动没有方案文件,不能作为模板"})
    slug = f"{region.code}-{template.starts_on.year}"
    if Campaign.objects.filter(slug=slug).exists():
        raise ValidationError({"region": f"{region.name}已有以该模板创建的专项行动"})
    data = yaml.safe_load(path.read_bytes()) or {}
    old, new = template.region.name, region.name
    for key in ("name", "plan_title", "issuer", "summary"):
        if isinstance(data.get(key), str):
            data[key] = data[key].replace(old, new)
    data.update(slug=slug, region=region.code)
    data.pop("division", None)
    load_campaign(data)
    campaign = Campaign.objects.get(slug=slug)
    audit.record(
        actor=actor,
        action=ChangeLog.Action.CREATE,
        instance=campaign,
        note=f"以“{template.name}”为模板创建",
    )
    return campaign
