"""QuerySet base that restricts rows to a user's data scope (NetBox's `restrict` idea)."""

from django.db import models

from anbiao.accounts.permissions import has_perm
from anbiao.accounts.scope import enterprise_scope_q


class ScopedQuerySet(models.QuerySet):
    """Models using this declare `scope_prefix` (path to their enterprise) and
    `scope_object` (the permission object name, e.g. "enterprise")."""

    def restrict(self, user, action: str = "view"):
        """Rows `user` may `action`: none without the role permission, else those in scope.

        `action` names an action on the model's own permission object ("view" →
        "enterprise.view"), or is a full permission when another subject's permission governs
        the rows ("case.manage" on enterprises: the enterprises whose cases one may manage)."""
        perm = action if "." in action else f"{self.model.scope_object}.{action}"
        if not has_perm(user, perm):
            return self.none()
        return self.filter(enterprise_scope_q(user, self.model.scope_prefix))
