from django.urls import path

from .views import calendar_feeds, closeout

app_name = "closeout"
C = "contracts/<int:pk>/"
urlpatterns = [
    # The closeout of a contract (views/closeout.py)
    path(f"{C}closeout/", closeout.closeout, name="closeout"),
    path(f"{C}closeout/scenario/<int:scenario>/", closeout.choose_scenario, name="scenario"),
    path(f"{C}closeout/confirm-removal/", closeout.confirm_removal, name="confirm_removal"),
    path(f"{C}closeout/archive/", closeout.record_archive, name="archive"),
    path(f"{C}closeout/undo-reaward/", closeout.undo_reaward, name="undo_reaward"),
    path(f"{C}closeout/new-contract/", closeout.start_new_contract, name="new_contract"),
    path("sweeps/", closeout.sweep_runs, name="sweeps"),
    # Calendar feeds (views/calendar_feeds.py)
    path("calendar/", calendar_feeds.manage, name="calendar"),
    path("calendar/<str:token>.ics", calendar_feeds.person_feed, name="person_feed"),
    path("calendar/<str:token>/contracts/<int:pk>.ics", calendar_feeds.contract_feed,
         name="contract_feed"),
]
