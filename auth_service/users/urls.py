from django.urls import path

from users.people import apis as people
from users.signin import apis as signin
from users.tokens import apis as tokens

urlpatterns = [
    path("register/", people.UserRegisterApi.as_view(), name="register"),
    path("token/", signin.TokenObtainApi.as_view(), name="token-obtain"),
    path("token/refresh/", tokens.TokenRefreshApi.as_view(), name="token-refresh"),
    path("token/verify/", tokens.TokenVerifyApi.as_view(), name="token-verify"),
    path("logout/", tokens.LogoutApi.as_view(), name="logout"),
    path("me/", people.MeApi.as_view(), name="me"),
    path("me/password/", people.PasswordChangeApi.as_view(), name="me-password"),
    path("email/verify/", people.EmailVerifyApi.as_view(), name="email-verify"),
    path("email/verify/resend/", people.EmailVerifyResendApi.as_view(), name="email-verify-resend"),
    path("password/reset/", people.PasswordResetApi.as_view(), name="password-reset"),
    path("password/reset/confirm/", people.PasswordResetConfirmApi.as_view(), name="password-reset-confirm"),
    path("users/", people.UserListApi.as_view(), name="user-list"),
    path("users/<uuid:user_id>/", people.UserDetailApi.as_view(), name="user-detail"),
]
