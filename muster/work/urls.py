from django.urls import path

from . import views

app_name = "work"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
