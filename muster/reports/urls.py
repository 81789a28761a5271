from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("metrics/", views.metrics, name="metrics"),
]
