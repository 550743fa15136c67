from django import template

from anbiao.accounts.permissions import has_perm

register = template.Library()


@register.filter
def can(user, perm: str) -> bool:
    """`{% if user|can:"supervision.view" %}`: whether the user's role grants `perm`."""
    return has_perm(user, perm)
