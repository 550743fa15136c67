from django.db import models


class FilingStatus(models.TextChoices):
    """Where a filing (报送) stands: filed by the station, received (签收) or returned (退回) by
    the district. A returned filing stays as it was; the station files again."""

    FILED = "filed", "已报送"
    RECEIVED = "received", "已签收"
    RETURNED = "returned", "已退回"


# What a 镇街 shows for one period on the district's page.
PERIOD_STATES = {
    "received": ("已签收", "green"),
    "filed": ("待签收", "blue"),
    "returned": ("已退回,待重报", "orange"),
    "late": ("逾期未报", "red"),
    "open": ("未到期", "secondary"),
}
