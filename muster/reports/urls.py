from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("metrics/", views.metrics, name="metrics"),
    # One chart's table as CSV, and its picture as SVG, for the same period (?start&end).
    path("metrics/<slug:name>.csv", views.metric_csv, name="metric_csv"),
    path("metrics/<slug:name>.svg", views.metric_svg, name="metric_svg"),
]
