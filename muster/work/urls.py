from django.urls import path

from . import views

app_name = "work"
ITEM = "<slug:kind>/<int:item_pk>/"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("items/", views.item_list, name="items"),
    path(ITEM, views.item_page, name="item"),
    path(f"{ITEM}take/", views.take, name="take"),
    path(f"{ITEM}assign/", views.assign, name="assign"),
    path(f"{ITEM}unassign/", views.unassign, name="unassign"),
]
