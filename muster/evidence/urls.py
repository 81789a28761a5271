from django.urls import path

from . import views

app_name = "evidence"
urlpatterns = [
    path("contracts/<int:pk>/", views.package, name="package"),
]
