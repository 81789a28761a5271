from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.my_notifications, name="mine"),
    path("<int:pk>/", views.notification_detail, name="detail"),
    path("<int:pk>/read/", views.mark_read, name="mark_read"),
    path("read/", views.mark_all_read, name="mark_all_read"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", views.retry, name="retry"),
]
