"""An e-mail backend for the killed-worker test: marks that it is sending, takes 3 s,
then writes the message to a file in $EMAIL_FILE_PATH."""

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, file_path=os.environ["EMAIL_FILE_PATH"], **kwargs)

    def send_messages(self, email_messages):
        (Path(self.file_path) / "sending").touch()
        time.sleep(3)
        return super().send_messages(email_messages)
