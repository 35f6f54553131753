"""The public form's one-time submission token: signed, bound to one questionnaire
version, and carrying the nonce that `response_store` spends (so a page is stored once)."""

from django.core import signing
from django.utils.crypto import get_random_string

from surveys.models import QuestionnaireVersion

TOKEN_SALT = "surveys.submit"  # noqa: S105 - a signing salt, not a secret
TOKEN_MAX_AGE = 24 * 3600  # a form left open overnight gets a fresh token, answers kept


def new_submission_token(version: QuestionnaireVersion) -> str:
    return signing.dumps({"v": version.pk, "n": get_random_string(32)}, salt=TOKEN_SALT)


def read_submission_token(token: str, version: QuestionnaireVersion) -> str | None:
    """The nonce inside a valid, unexpired token for this version, else None."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return data.get("n") if data.get("v") == version.pk else None
