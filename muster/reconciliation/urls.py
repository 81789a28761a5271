from django.urls import path

from . import views

app_name = "reconciliation"
urlpatterns = [
    path("", views.findings_page, name="findings"),
    path("findings.csv", views.findings_csv, name="findings_csv"),
]
