"""督办's part in the reminder rules (reference_data/reminders.yaml): the `dispatch` query, the
issuer / recipient / superior recipient kinds, and the escalation hook of `dispatch_overdue`.
Registered with the notifications app when this app is ready (apps.py), so that app never
imports this one."""

from collections.abc import Iterable
from datetime import date

from django.urls import reverse

from anbiao.dispatches import selectors, services
from anbiao.dispatches.models import Dispatch
from anbiao.notifications import recipients
from anbiao.notifications.queries import Subject, horizon, lookback, query


def _escalate(dispatch: Dispatch, on: date, notified) -> None:
    services.dispatch_escalate(dispatch=dispatch, on=on, notified=notified)


@query("dispatch", escalate=_escalate)
def dispatch(on: date, rule) -> Iterable[Subject]:
    """督办单 not yet handed in or accepted, by deadline."""
    qs = Dispatch.objects.open().filter(
        deadline__lte=horizon(on, rule), deadline__gte=lookback(on, rule)
    )
    for item in qs.select_related(
        "issuer_region", "recipient_enterprise__region", "recipient_agency", "recipient_region"
    ):
        yield Subject(
            obj=item,
            due_on=item.deadline,
            enterprise=item.recipient_enterprise,
            region=item.issuer_region,
            department=item.recipient_department,
            url=reverse("dispatches:detail", args=[item.pk]),
            context={"number": item.number, "subject": item.subject},
        )


for _kind in ("issuer", "recipient", "superior"):
    recipients.register(
        _kind, lambda subject, on, kind=_kind: selectors.party_users(subject.obj, kind)
    )
