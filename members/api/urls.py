"""The applicant's own endpoints under /api/v1/."""

from django.urls import path

from members.api import views

app_name = "members_api"

urlpatterns = [
    path("auth/sms-code/", views.SmsCodeView.as_view(), name="sms_code"),
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("auth/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="token_refresh"),
    path("auth/token/revoke/", views.TokenRevokeView.as_view(), name="token_revoke"),
    path("me/consent/", views.ConsentView.as_view(), name="consent"),
    path("me/consent/withdraw/", views.ConsentWithdrawView.as_view(), name="consent_withdraw"),
    path("me/profile/", views.ProfileView.as_view(), name="profile"),
    path("me/awards/", views.AwardListView.as_view(), name="awards"),
    path("me/awards/<int:pk>/", views.AwardDetailView.as_view(), name="award"),
    path("me/notices/", views.NoticeListView.as_view(), name="notices"),
    path("me/notices/read/", views.NoticeReadView.as_view(), name="notices_read"),
    path("me/memberships/", views.MembershipListView.as_view(), name="memberships"),
    path("me/memberships/<int:pk>/certificate/", views.CertificateView.as_view(), name="certificate"),
]
