from django.urls import path

from . import views

app_name = "contracts"
urlpatterns = [
    path("", views.contract_list, name="list"),
    path("cors/", views.cor_suggestions, name="cors"),
    path("views/", views.saved_views, name="saved_views"),
    path("views/<int:view_pk>/rename/", views.rename_view, name="rename_view"),
    path("views/<int:view_pk>/delete/", views.delete_view, name="delete_view"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/edit/", views.contract_edit, name="edit"),
    path("<int:pk>/history/", views.contract_history, name="history"),
    path("<int:pk>/steps/<int:step_pk>/complete/", views.step_complete, name="step_complete"),
]
