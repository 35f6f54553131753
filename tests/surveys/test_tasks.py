import datetime

import pytest

from surveys.models import UsedSubmissionToken
from surveys.tasks import purge_submission_tokens

pytestmark = pytest.mark.django_db


def test_purge_forgets_only_expired_tokens_and_is_idempotent(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 10, 12, 0))
    UsedSubmissionToken.objects.create(nonce="old", used_on=datetime.date(2026, 3, 7))
    UsedSubmissionToken.objects.create(nonce="recent", used_on=datetime.date(2026, 3, 9))
    assert purge_submission_tokens() == 1
    assert purge_submission_tokens() == 0
    assert list(UsedSubmissionToken.objects.values_list("nonce", flat=True)) == ["recent"]
