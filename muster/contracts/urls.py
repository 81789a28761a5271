from django.urls import path

from . import views

app_name = "contracts"
urlpatterns = [
    path("", views.contract_list, name="list"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/edit/", views.contract_edit, name="edit"),
    path("<int:pk>/history/", views.contract_history, name="history"),
    path("<int:pk>/steps/<int:step_pk>/complete/", views.step_complete, name="step_complete"),
]
