"""Where uploads live when they live in a bucket (settings: "Files (local or S3)").

A signed DUA names people and a contract's terms: it is read only through Muster's own
views, which authorize each download (access/views/dua.py, onboarding/views/package.py).
A bucket URL, signed or not, would bypass that check and could be forwarded, so this
storage refuses to make one; any code that reaches for `.url` of a stored file fails
loudly instead of leaking a link."""

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    """django-storages' S3 backend (private objects, no overwrite) that gives no URLs."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise NotImplementedError(
            "Stored files are served only through Muster's views, never by a bucket URL."
        )
