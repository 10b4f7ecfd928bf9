from django.urls import path

from users import apis

urlpatterns = [
    path("register/", apis.UserRegisterApi.as_view(), name="register"),
    path("token/", apis.TokenObtainApi.as_view(), name="token-obtain"),
    path("token/refresh/", apis.TokenRefreshApi.as_view(), name="token-refresh"),
    path("token/verify/", apis.TokenVerifyApi.as_view(), name="token-verify"),
    path("logout/", apis.LogoutApi.as_view(), name="logout"),
    path("me/", apis.MeApi.as_view(), name="me"),
    path("me/password/", apis.PasswordChangeApi.as_view(), name="me-password"),
    path("email/verify/", apis.EmailVerifyApi.as_view(), name="email-verify"),
    path("email/verify/resend/", apis.EmailVerifyResendApi.as_view(), name="email-verify-resend"),
    path("password/reset/", apis.PasswordResetApi.as_view(), name="password-reset"),
    path("password/reset/confirm/", apis.PasswordResetConfirmApi.as_view(), name="password-reset-confirm"),
    path("users/", apis.UserListApi.as_view(), name="user-list"),
    path("users/<uuid:user_id>/", apis.UserDetailApi.as_view(), name="user-detail"),
]
