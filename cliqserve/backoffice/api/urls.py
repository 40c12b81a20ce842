from django.urls import URLPattern, URLResolver, path

from . import auth_views, exception_views, mfa_views, report_views, stock_views, views

app_name = "backoffice"

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", report_views.DashboardView.as_view(), name="dashboard"),
    path("sales/", report_views.SalesReportView.as_view(), name="sales"),
    path("sales/report.csv", report_views.SalesCSVView.as_view(), name="sales-csv"),
    path("review/", views.ReviewQueueView.as_view(), name="review"),
    path("review/<uuid:sale_id>/", exception_views.ReviewSaleView.as_view(), name="review-sale"),
    path("exceptions/", exception_views.ExceptionsView.as_view(), name="exceptions"),
    path("stock/", stock_views.StockView.as_view(), name="stock"),
    path("stock/report.csv", stock_views.StockCSVView.as_view(), name="stock-csv"),
    path("shifts/", views.ShiftListView.as_view(), name="shifts"),
    path("shifts/<uuid:shift_id>/", views.ShiftDetailView.as_view(), name="shift"),
    path("sales/lookup/", views.SaleLookupView.as_view(), name="sale-lookup"),
    path("account/two-factor/", mfa_views.TwoFactorView.as_view(), name="mfa"),
]
