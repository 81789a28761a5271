"""Files in an S3 bucket (settings: "Files (local or S3)"), against a real S3-compatible
server the tests start: moto in server mode on 127.0.0.1, one per module (and per xdist
worker). What a page uploads lands in the bucket as a private, encrypted object; Muster's
own views serve it to those who may see the contract and to nobody else; the bucket itself
answers no anonymous request; the outbox attaches files read from the bucket; the
sweep's cleanup of kept uploads works there too; and `manage.py backup`'s copy of the files
restores into another bucket (or prefix)."""

import datetime
import runpy
import urllib.error
import urllib.request
import uuid

import boto3
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.urls import reverse
from moto.server import ThreadedMotoServer

from muster.closeout import pending
from muster.contracts.models import DataUseAgreement
from muster.notifications.delivery import deliver_due
from muster.onboarding.models import TouchPointCall
from muster.onboarding.package import prepare_due
from muster.operations import backups
from muster.storage import PrivateS3Storage
from tests.factories import TODAY, approved_for_onboarding, pdf_bytes, pdf_upload, signed_in
from tests.pages import html_of

BUCKET = "muster-files"
REGION = "us-east-1"
KEYS = {"AWS_ACCESS_KEY_ID": "muster-test", "AWS_SECRET_ACCESS_KEY": "muster-test-secret"}


@pytest.fixture(scope="module")
def endpoint(worker_id):
    """The S3 server's URL, its bucket created. Port 8741 plus the xdist worker's number;
    past the ninth worker, any free port the system gives."""
    worker = int(worker_id.removeprefix("gw")) if worker_id.startswith("gw") else 0
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=8741 + worker if worker < 9 else 0,
                                verbose=False)
    server.start()
    url = "http://{}:{}".format(*server.get_host_and_port())
    bucket_client(url).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def bucket_client(url):
    return boto3.client("s3", endpoint_url=url, region_name=REGION,
                        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"])


class Bucket:
    """The bucket as its operator sees it, under this test's own prefix."""

    def __init__(self, url: str, prefix: str):
        self.url, self.prefix, self.client = url, prefix, bucket_client(url)

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def names(self) -> list[str]:
        listed = self.client.list_objects(Bucket=BUCKET, Prefix=f"{self.prefix}/")
        return sorted(o["Key"].removeprefix(f"{self.prefix}/") for o in listed.get("Contents", []))

    def read(self, name: str) -> bytes:
        return self.client.get_object(Bucket=BUCKET, Key=self.key(name))["Body"].read()

    def anonymous_get(self, name: str) -> int:
        try:
            with urllib.request.urlopen(f"{self.url}/{BUCKET}/{self.key(name)}") as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    def assert_private_and_encrypted(self, name: str) -> None:
        grants = self.client.get_object_acl(Bucket=BUCKET, Key=self.key(name))["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
        assert all(g["Grantee"]["Type"] == "CanonicalUser" for g in grants), "owner only"
        head = self.client.head_object(Bucket=BUCKET, Key=self.key(name))
        assert head["ServerSideEncryption"] == "AES256"
        assert self.anonymous_get(name) == 403


@pytest.fixture
def bucket(endpoint, settings, monkeypatch):
    """Muster configured as an operator would (the environment, read by muster/settings.py),
    each test under a prefix of its own in the shared bucket."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    environment = {**KEYS, "AWS_STORAGE_BUCKET_NAME": BUCKET, "AWS_S3_ENDPOINT_URL": endpoint,
                   "AWS_S3_REGION_NAME": REGION, "AWS_LOCATION": prefix}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = runpy.run_path(settings.BASE_DIR / "muster" / "settings.py")["STORAGES"]
    return Bucket(endpoint, prefix)


@pytest.fixture
def approved(people, freeze_today):
    """`mine` with SAS Viya approved and its request approved, in stage onboarding."""
    freeze_today(TODAY)
    mine = people["mine"]
    approved_for_onboarding(mine, people["cor"])
    return people


def download_answers(client, url, people) -> dict:
    """Who gets what from a download URL: {role: (status, bytes)}."""
    answers = {}
    for role in ("so", "outsider", "other_cor"):
        signed_in(client, people[role])
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.status_code == 200 else b""
        answers[role] = (response.status_code, body)
    return answers


def test_the_environment_names_a_private_bucket_and_no_url_is_ever_made(bucket):
    default_storage.save("probe.pdf", pdf_upload())
    storage = default_storage._wrapped
    assert isinstance(storage, PrivateS3Storage)
    assert (storage.default_acl, storage.querystring_auth, storage.file_overwrite,
            storage.custom_domain) == ("private", True, False, None)
    assert bucket.names() == ["probe.pdf"]
    bucket.assert_private_and_encrypted("probe.pdf")
    with pytest.raises(NotImplementedError, match="served only through Muster's views"):
        default_storage.url("probe.pdf")
    # A name taken is never overwritten: the second file gets a name of its own.
    second = default_storage.save("probe.pdf", pdf_upload())
    assert second != "probe.pdf" and len(bucket.names()) == 2


def test_a_signed_dua_uploaded_on_its_page_is_in_the_bucket_and_served_only_by_muster(
        client, approved, bucket):
    mine, content = approved["mine"], pdf_bytes()
    signed_in(client, approved["so"])
    response = client.post(reverse("access:dua_upload", args=[mine.pk]), {
        "number": "DUA-7", "effective_date": "2026-11-20", "expiry_date": "2027-11-30",
        "services": [mine.services.get().service_id],
        "document": pdf_upload("signed.pdf", content)})
    assert response.status_code == 302

    name = f"contracts/{mine.pk}/dua/DUA-7.pdf"
    assert bucket.names() == [name]
    assert bucket.read(name) == content
    bucket.assert_private_and_encrypted(name)

    dua = DataUseAgreement.objects.get(contract=mine, number="DUA-7")
    url = reverse("access:dua_document", args=[mine.pk, dua.pk])
    page = html_of(client.get(reverse("access:dua", args=[mine.pk])))
    assert url in page and bucket.url not in page and BUCKET not in page
    assert download_answers(client, url, approved) == {
        "so": (200, content), "outsider": (404, b""), "other_cor": (404, b""),
    }


def test_a_call_document_is_in_the_bucket_and_served_only_by_muster(client, approved, bucket):
    mine, content = approved["mine"], pdf_bytes()
    signed_in(client, approved["onboarding_team"])
    response = client.post(reverse("onboarding:calls", args=[mine.pk]), {
        "held_on": "2026-11-20", "topics": ["templates"], "outcome": "Templates shared.",
        "notes": "", "documents": [pdf_upload("minutes.pdf", content)]})
    assert response.status_code == 302

    call = TouchPointCall.objects.get(contract=mine)
    document = call.documents.get()
    assert bucket.names() == [f"contracts/{mine.pk}/calls/{call.pk}/minutes.pdf"]
    bucket.assert_private_and_encrypted(document.file.name)
    url = reverse("onboarding:call_document", args=[mine.pk, call.pk, document.pk])
    assert url in html_of(client.get(reverse("onboarding:calls", args=[mine.pk])))
    assert download_answers(client, url, approved) == {
        "so": (200, content), "outsider": (404, b""), "other_cor": (404, b""),
    }


def test_the_welcome_package_pdf_is_made_into_the_bucket_and_mailed_from_it(
        client, approved, bucket, mailoutbox):
    mine = approved["mine"]
    signed_in(client, approved["onboarding_team"])
    assert client.post(reverse("onboarding:send_package", args=[mine.pk])).status_code == 302
    prepare_due()  # the worker makes the PDF

    name = f"contracts/{mine.pk}/welcome/v1.pdf"
    assert bucket.names() == [name]
    stored = bucket.read(name)
    assert stored.startswith(b"%PDF")
    bucket.assert_private_and_encrypted(name)

    deliver_due()  # the outbox reads the attachment from the bucket
    welcome, = [m for m in mailoutbox if m.subject.startswith("Welcome package")]
    assert welcome.attachments == [("welcome-package-v1.pdf", stored, "application/pdf")]

    url = reverse("onboarding:package_pdf", args=[mine.pk, 1])
    for page in (reverse("onboarding:packages", args=[mine.pk]),
                 reverse("onboarding:package", args=[mine.pk, 1]), mine.get_absolute_url()):
        assert bucket.url not in html_of(client.get(page))  # pages link Muster's URLs only
    assert download_answers(client, url, approved) == {
        "so": (200, stored), "outsider": (404, b""), "other_cor": (404, b""),
    }


def test_a_file_gone_from_the_bucket_is_a_404_page_not_an_error(client, approved, bucket):
    mine = approved["mine"]
    signed_in(client, approved["onboarding_team"])
    client.post(reverse("onboarding:send_package", args=[mine.pk]))
    prepare_due()
    name = bucket.key(f"contracts/{mine.pk}/welcome/v1.pdf")
    bucket.client.delete_object(Bucket=BUCKET, Key=name)

    signed_in(client, approved["so"])
    assert client.get(reverse("onboarding:package_pdf", args=[mine.pk, 1])).status_code == 404


def test_kept_uploads_are_read_back_and_the_stale_ones_cleaned_from_the_bucket(
        approved, bucket, freeze_today):
    mine = approved["mine"]
    old = pending.keep(mine, pdf_upload("old.pdf"))
    assert old is not None and bucket.names() == [old.name]
    kept, upload = pending.restore(mine, old.token)
    assert upload.read() == bucket.read(old.name)

    freeze_today(TODAY + datetime.timedelta(days=2))
    fresh = pending.keep(mine, pdf_upload("fresh.pdf"))
    assert fresh is not None

    assert pending.discard_stale() == 1
    assert bucket.names() == [fresh.name]
    assert pending.restore(mine, old.token) is None


def test_without_a_bucket_files_stay_on_the_local_disk():
    assert settings.STORAGES["default"]["BACKEND"] == (
        "django.core.files.storage.FileSystemStorage")


def test_the_files_of_a_bucket_are_backed_up_and_restored_into_another(
        tmp_path, bucket, settings, monkeypatch, endpoint):
    for name in ("contracts/1/dua/DUA-1.pdf", "contracts/1/welcome/v1.pdf",
                 f"{pending.FOLDER}/scratch.pdf"):
        default_storage.save(name, pdf_upload())
    archive = tmp_path / "files.tar"
    assert backups.backup_files(default_storage, archive) == 2  # the scratch file left out

    monkeypatch.setenv("AWS_LOCATION", f"{bucket.prefix}-restored")
    settings.STORAGES = runpy.run_path(settings.BASE_DIR / "muster" / "settings.py")["STORAGES"]
    restored = Bucket(endpoint, f"{bucket.prefix}-restored")
    assert backups.restore_files(default_storage, archive) == 2
    assert restored.names() == ["contracts/1/dua/DUA-1.pdf", "contracts/1/welcome/v1.pdf"]
    assert restored.read("contracts/1/dua/DUA-1.pdf") == bucket.read("contracts/1/dua/DUA-1.pdf")
    restored.assert_private_and_encrypted("contracts/1/welcome/v1.pdf")
    # Again: the same files are there already, nothing to do; a different one refuses.
    assert backups.restore_files(default_storage, archive) == 2
    default_storage.delete("contracts/1/dua/DUA-1.pdf")
    default_storage.save("contracts/1/dua/DUA-1.pdf", pdf_upload(content=pdf_bytes(10)))
    with pytest.raises(backups.BackupError, match="1 stored files differ from the backup's"):
        backups.restore_files(default_storage, archive)


def test_a_bucket_without_acls_gets_none_and_a_public_acl_is_refused(bucket, settings,
                                                                      monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_ACL", "none")  # a bucket with ACLs disabled (AWS's default)
    settings.STORAGES = runpy.run_path(settings.BASE_DIR / "muster" / "settings.py")["STORAGES"]
    default_storage.save("no-acl.pdf", pdf_upload())
    assert default_storage._wrapped.default_acl is None
    bucket.assert_private_and_encrypted("no-acl.pdf")  # the bucket's default: owner only

    monkeypatch.setenv("AWS_DEFAULT_ACL", "public-read")
    with pytest.raises(ImproperlyConfigured, match="Muster's files are never public"):
        runpy.run_path(settings.BASE_DIR / "muster" / "settings.py")
