"""The recertification pages: the team's campaigns, and each contract's page in one."""

from django.urls import path

from . import views

app_name = "recertification"
urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("new/", views.campaign_new, name="campaign_new"),
    path("<int:pk>/", views.campaign, name="campaign"),
    path("<int:pk>/export.csv", views.export_csv, name="export_csv"),
    path("<int:pk>/export.pdf", views.export_pdf, name="export_pdf"),
    path("<int:campaign>/contracts/<int:pk>/", views.contract, name="contract"),
    path("<int:campaign>/contracts/<int:pk>/decide/", views.decide, name="decide"),
]
