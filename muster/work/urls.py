from django.urls import path

from . import views

app_name = "work"
I = "<slug:kind>/<int:item_pk>/"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("items/", views.item_list, name="items"),
    path(I, views.item_page, name="item"),
    path(f"{I}take/", views.take, name="take"),
    path(f"{I}assign/", views.assign, name="assign"),
    path(f"{I}unassign/", views.unassign, name="unassign"),
]
