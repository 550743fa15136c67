"""Requests of a user whose password an administrator reset go to the password change page."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

ALLOWED = ("accounts:password_change", "accounts:logout", "accounts:otp_verify")


class PasswordChangeRequiredMiddleware:
    """Until a user with `must_change_password` has chosen their own password, every page but
    the change form and logout redirects there: a password set by an administrator is known to
    two people."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.allowed = None

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            if self.allowed is None:
                self.allowed = {reverse(name) for name in ALLOWED}
            if request.path not in self.allowed:
                messages.warning(request, "管理员已重置您的密码,请先设置一个新密码")
                return redirect("accounts:password_change")
        return self.get_response(request)


OTP_ALLOWED = ("accounts:otp_verify", "accounts:otp_setup", "accounts:logout")


class SecondFactorRequiredMiddleware:
    """A signed-in user who must pass a second factor (accounts/otp.py) and has not in this
    session is sent to enter their code, or to enrol when they have no device yet."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.allowed = None

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified():
            from anbiao.accounts import otp

            if self.allowed is None:
                self.allowed = {reverse(name) for name in OTP_ALLOWED}
            if request.path not in self.allowed and otp.required_in_session(request):
                enrolled = otp.confirmed_device(user) is not None
                if enrolled or otp.required_by_role(user):
                    return redirect("accounts:otp_verify" if enrolled else "accounts:otp_setup")
                otp.remember_enrolment(request, user)  # an admin removed the device meanwhile
        return self.get_response(request)
