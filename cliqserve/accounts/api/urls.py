from django.urls import path
from rest_framework.routers import SimpleRouter

from .api_keys import ApiKeyViewSet
from .approval_views import ApprovalPinView, ApprovalView
from .mfa_views import MfaVerifyView, TotpConfirmView, TotpView
from .views import LoginView, LogoutView, MeView, RefreshView, UserViewSet

router = SimpleRouter()
router.register("users", UserViewSet, basename="user")
router.register("api-keys", ApiKeyViewSet, basename="api-key")

urlpatterns = [
    path("auth/login/", LoginView.as_view(), name="auth-login"),
    path("auth/refresh/", RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", MeView.as_view(), name="auth-me"),
    path("auth/approvals/", ApprovalView.as_view(), name="auth-approvals"),
    path("auth/pin/", ApprovalPinView.as_view(), name="auth-pin"),
    path("auth/mfa/totp/", TotpView.as_view(), name="auth-mfa-totp"),
    path("auth/mfa/totp/confirm/", TotpConfirmView.as_view(), name="auth-mfa-totp-confirm"),
    path("auth/mfa/verify/", MfaVerifyView.as_view(), name="auth-mfa-verify"),
    *router.urls,
]
