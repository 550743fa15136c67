from django.contrib.auth import views as auth_views
from django.urls import path

from anbiao.accounts import region_views, views
from anbiao.accounts.access import public, requires_login

app_name = "accounts"
urlpatterns = [
    path("login/", public(views.LoginView.as_view()), name="login"),
    path("logout/", requires_login(auth_views.LogoutView.as_view()), name="logout"),
    path("password/", requires_login(views.PasswordChangeView.as_view()), name="password_change"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_edit, name="user_create"),
    path("users/<int:pk>/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/password/", views.user_reset_password, name="user_reset_password"),
    path("login-log/", views.login_log, name="login_log"),
    path("regions/", region_views.region_list, name="region_list"),
    path("unlock/", views.login_unlock, name="login_unlock"),
    path("otp/", views.otp_setup, name="otp_setup"),
    path("otp/verify/", views.otp_verify, name="otp_verify"),
    path("users/<int:pk>/otp-reset/", views.otp_reset, name="otp_reset"),
]
