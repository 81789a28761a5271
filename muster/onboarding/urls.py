from django.urls import path

from .views import intake, notices, package, review

app_name = "onboarding"
C = "contracts/<int:pk>/"
urlpatterns = [
    # Notices (views/notices.py)
    path("solicitation/new/", notices.solicitation_new, name="solicitation_new"),
    path(f"{C}award/", notices.award, name="award"),
    # The intake wizard (views/intake.py)
    path(f"{C}intake/", intake.intake_start, name="intake"),
    path(f"{C}intake/review/", intake.intake_review, name="intake_review"),
    path(f"{C}intake/<slug:screen>/", intake.intake_screen, name="intake_screen"),
    # Review, questions, approvals, meeting, service decisions (views/review.py)
    path("queue/", review.review_queue, name="queue"),
    path(f"{C}request/", review.request_detail, name="request"),
    path(f"{C}request/question/", review.ask_question, name="ask_question"),
    path(f"{C}request/answer/", review.answer_question, name="answer_question"),
    path(f"{C}request/reviewed/", review.mark_reviewed, name="mark_reviewed"),
    path(f"{C}request/approve/", review.approve_as_lead, name="approve_as_lead"),
    path(f"{C}request/meeting/", review.record_meeting, name="meeting"),
    path(f"{C}request/lead-return/", review.lead_return, name="lead_return"),
    path(f"{C}request/withdraw/", review.withdraw, name="withdraw"),
    path(f"{C}request/cancel/", review.cancel, name="cancel"),
    path(f"{C}request/reopen/", review.reopen, name="reopen"),
    path("decisions/", review.decisions, name="decisions"),
    path("decisions/<int:item_pk>/", review.decide, name="decide"),
    # Welcome package, calls, survey (views/package.py)
    path(f"{C}welcome/", package.packages, name="packages"),
    path(f"{C}welcome/send/", package.send_package, name="send_package"),
    path(f"{C}welcome/v<int:version>/", package.package_page, name="package"),
    path(f"{C}welcome/v<int:version>/print/", package.package_print, name="package_print"),
    path(f"{C}welcome/v<int:version>/pdf/", package.package_pdf, name="package_pdf"),
    path(f"{C}welcome/v<int:version>/retry/", package.retry_package, name="retry_package"),
    path(f"{C}calls/", package.calls, name="calls"),
    path(f"{C}calls/<int:call_pk>/documents/<int:doc_pk>/", package.call_document,
         name="call_document"),
    path(f"{C}survey/", package.survey, name="survey"),
    path("surveys/", package.survey_results, name="surveys"),
]
