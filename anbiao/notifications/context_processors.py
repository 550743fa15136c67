from anbiao.accounts import permissions as perms


def bell(request) -> dict:
    """The unread count shown on the bell in the header (one COUNT per page)."""
    user = getattr(request, "user", None)
    if user is None or not perms.has_perm(user, perms.NOTIFICATION_VIEW):
        return {}
    from anbiao.notifications.selectors import unread_count

    return {"unread_notifications": unread_count(user)}
