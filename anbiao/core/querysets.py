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
        prefix = self.model.scope_prefix
        # A record scoped by its own region (prefix "") and without an industry of its own is a
        # region's record (a survey round, a training session), not an enterprise.
        regional = prefix == "" and not any(
            f.name == "industry" for f in self.model._meta.get_fields()
        )
        return self.filter(enterprise_scope_q(user, prefix, regional=regional))
