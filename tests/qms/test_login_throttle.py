"""Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failures for one username, or
from one client address, sign-in is refused until the cool-off passes or the quality
coordinator unlocks it."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from qms.http import client_address
from qms.lockouts import current_lockouts, login_unlock
from qms.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOCKOUTS = "/dashboard/lockouts/"
POLISH = "Zbyt wiele nieudanych prób logowania."
ENGLISH = "Too many failed sign-in attempts. Try again in 15 minutes or ask the quality"
WRONG = "wrong"


def sign_in(client: Client, username: str, password: str = WRONG, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail(client: Client, username: str, times: int, **extra) -> list[int]:
    return [sign_in(client, username, **extra).status_code for _ in range(times)]


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_fifth_failure_for_one_username_locks_it_out(staff):
    client = Client()
    assert fail(client, "staff", 4) == [200, 200, 200, 200]
    assert sign_in(client, "staff").status_code == 429
    # Locked out: the right password is refused too, without being checked.
    response = sign_in(client, "staff", "password")
    assert response.status_code == 429 and not signed_in(client)


def test_a_locked_username_is_refused_from_any_address(staff):
    fail(Client(REMOTE_ADDR="192.0.2.1"), "staff", 5)
    other_address = Client(REMOTE_ADDR="192.0.2.2")
    assert sign_in(other_address, "staff", "password").status_code == 429
    assert not signed_in(other_address)


def test_the_lockout_page_is_the_login_page_in_polish_with_the_username_kept(staff):
    client = Client()
    fail(client, "staff", 4)
    response = sign_in(client, "staff")
    page = response.content.decode()
    assert response.status_code == 429
    assert response["Content-Language"] == "pl"
    assert POLISH in page and "15 minut" in page and "koordynatora" in page
    assert 'name="username"' in page and 'value="staff"' in page
    assert 'name="password"' in page  # the form again, not a bare error text
    assert "Wprowadź poprawne" not in page  # no "wrong password" error on top


def test_the_lockout_message_follows_the_language_and_the_cool_off(staff, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=1)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    fail(client, "staff", 5)
    page = sign_in(client, "staff").content.decode()
    assert "Try again in 1 minute or ask the quality coordinator to unlock your account." in page


def test_the_english_lockout_message(staff):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    fail(client, "staff", 5)
    response = sign_in(client, "staff", "password")
    assert response.status_code == 429
    assert ENGLISH in response.content.decode()


def test_the_limit_comes_from_the_settings(staff, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert fail(Client(), "staff", 2) == [200, 429]


def test_failures_from_one_address_against_different_usernames_lock_the_address(staff):
    attacker = Client(REMOTE_ADDR="198.51.100.9")
    statuses = [sign_in(attacker, name).status_code for name in ("anna", "piotr", "ewa", "jan")]
    assert statuses == [200] * 4
    assert sign_in(attacker, "maria").status_code == 429
    # The address is locked, even for a real account with its right password ...
    assert sign_in(attacker, "staff", "password").status_code == 429
    # ... which still works from elsewhere: the username has no failures of its own.
    elsewhere = Client(REMOTE_ADDR="198.51.100.10")
    assert sign_in(elsewhere, "staff", "password").status_code == 302


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(staff, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    statuses = [
        sign_in(
            Client(REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"), f"user{n}"
        ).status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.50"}


def test_behind_one_proxy_each_forwarded_client_is_counted_apart(staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    def behind_proxy(forwarded: str) -> Client:
        return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    # One client tries five usernames, each time claiming another address on the left.
    statuses = [
        sign_in(behind_proxy(f"198.51.100.{n}, 203.0.113.7"), f"user{n}").status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    # Another client behind the same proxy is not locked with it.
    assert sign_in(behind_proxy("203.0.113.8"), "staff", "password").status_code == 302


def test_the_coordinator_unlocks_and_the_user_signs_in_again(staff, coordinator, client_for):
    locked = Client(REMOTE_ADDR="192.0.2.7")
    fail(locked, "staff", 5)
    assert sign_in(locked, "staff", "password").status_code == 429

    coordinator_client = client_for(coordinator)
    page = coordinator_client.get(LOCKOUTS)
    assert page.status_code == 200
    assert page.context["lockouts"][0].username == "staff"
    assert "192.0.2.7" in page.content.decode()

    response = coordinator_client.post(LOCKOUTS, {"username": "staff", "ip_address": "192.0.2.7"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:lockouts")
    assert sign_in(locked, "staff", "password").status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_UNLOCK)
    assert entry.user == coordinator
    assert entry.params == {"username": "staff", "ip": "192.0.2.7"}
    assert entry.route == LOCKOUTS
    assert coordinator_client.get(LOCKOUTS).context["lockouts"] == []


def test_an_administrator_may_unlock(staff):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    fail(Client(), "staff", 5)
    client = Client()
    client.force_login(admin)
    assert client.get(LOCKOUTS).status_code == 200
    client.post(LOCKOUTS, {"username": "staff", "ip_address": "127.0.0.1"})
    assert AccessAttempt.objects.count() == 0


def test_axes_records_stay_in_the_admin_for_the_administrator(coordinator, client_for):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert client_for(admin).get("/admin/axes/accessattempt/").status_code == 200
    assert client_for(coordinator).get("/admin/axes/accessattempt/").status_code == 403


@pytest.mark.parametrize("role", ["head_a", "head_b", "staff", "auditor"])
def test_nobody_else_may_see_or_unlock_lockouts(role, cast, client_for):
    fail(Client(), "coordinator", 5)
    client = client_for(cast[role])
    assert client.get(LOCKOUTS).status_code == 403
    response = client.post(LOCKOUTS, {"username": "coordinator", "ip_address": "127.0.0.1"})
    assert response.status_code == 403
    assert AccessAttempt.objects.count() == 1
    assert not AuditEntry.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(LOCKOUTS)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_the_list_says_what_is_locked_and_until_when(staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    fail(Client(REMOTE_ADDR="192.0.2.1"), "staff", 3)  # username and address both
    fail(Client(REMOTE_ADDR="192.0.2.2"), "anna", 1)  # neither
    [lockout] = current_lockouts()
    assert (lockout.username, lockout.ip_address, lockout.failures) == ("staff", "192.0.2.1", 3)
    assert lockout.by_username and lockout.by_address
    assert lockout.locked_until == lockout.last_failure + settings.AXES_COOLOFF_TIME


def test_unlocking_needs_a_username_or_an_address(staff, coordinator):
    fail(Client(), "staff", 5)
    with pytest.raises(ValidationError):
        login_unlock(by=coordinator, username="", ip_address="")
    assert AccessAttempt.objects.count() == 1  # axes' reset() with neither forgets everyone


def test_client_address_reads_forwarded_for_only_behind_trusted_proxies(rf, settings):
    """One rule for the sign-in throttle and the public survey's rate limit."""
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2, 10.0.0.1")
    for proxies, expected in [(0, "10.0.0.2"), (1, "10.0.0.1"), (2, "2.2.2.2"), (5, "1.1.1.1")]:
        settings.TRUSTED_PROXY_COUNT = proxies
        assert client_address(request) == expected
    # What is not an address (a proxy writing "unknown") does not reach the database.
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="x")) == (
        "10.0.0.2"
    )
