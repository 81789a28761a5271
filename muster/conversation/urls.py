from django.urls import path

from . import views

app_name = "conversation"
C = "contracts/<int:pk>/"
urlpatterns = [
    path(C, views.contract_thread, name="contract"),
    path(f"{C}onboarding-request/", views.onboarding_thread, name="onboarding_request"),
    path(f"{C}attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
    path("service-requests/<int:req_pk>/", views.service_request_thread,
         name="service_request"),
]
