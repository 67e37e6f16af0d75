"""File storage for uploads that leaves nothing behind when a write fails.

Django's FileSystemStorage keeps the partly written file when the disk fills up mid-upload; for a census list
that is a fragment of full ID numbers on disk that no database row points at. This storage removes it before
the error propagates (the view then answers 503, kexie.views.server_error).
"""

import os

from django.core.files.storage import FileSystemStorage


class UploadStorage(FileSystemStorage):
    def _save(self, name, content):
        try:
            return super()._save(name, content)
        except OSError as exc:
            if isinstance(exc, FileExistsError):
                raise
            try:
                os.remove(self.path(name))
            except OSError:
                pass
            raise
