"""The questions asked before the conversation existed become entries of their request's
thread (muster/conversation): each question, and its answer when it has one, by whoever
wrote it, when they wrote it. The Question rows stay: they hold the request's open
question (what the answer form answers and the review queue ages)."""

from django.db import migrations

BODY_MAX = 10_000  # conversation.models.BODY_MAX


def forwards(apps, schema_editor):
    Question = apps.get_model("onboarding", "Question")
    Entry = apps.get_model("conversation", "Entry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    questions = Question.objects.select_related("request").order_by("asked_at", "id")
    if not questions.exists():
        return
    request_type, _ = ContentType.objects.get_or_create(app_label="onboarding",
                                                        model="onboardingrequest")
    rows = []
    for q in questions.iterator():
        about = {"contract_id": q.request.contract_id, "about_type": request_type,
                 "about_id": q.request_id, "about_label": "the onboarding request",
                 "visibility": "shared"}
        rows.append(Entry(author_id=q.asked_by_id, created_at=q.asked_at,
                          body=q.text[:BODY_MAX], kind="question", **about))
        if q.answered_at is not None and q.answered_by_id is not None:
            rows.append(Entry(author_id=q.answered_by_id, created_at=q.answered_at,
                              body=q.answer[:BODY_MAX], kind="answer", **about))
    Entry.objects.bulk_create(rows, batch_size=500)


def backwards(apps, schema_editor):
    Entry = apps.get_model("conversation", "Entry")
    Entry.objects.filter(kind__in=["question", "answer"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0007_updated_at_from_the_clock"),
        ("conversation", "0001_thread"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
