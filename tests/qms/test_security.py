"""Security headers and production settings: CSP with nonces, Cache-Control for personal
pages, Permissions-Policy, HSTS and Secure cookies from the environment, and
`check --deploy` clean with the settings docker-compose.yml gives."""

import re
import runpy
import secrets
from pathlib import Path

import pytest
import yaml
from django.test import Client

from surveys.selectors import forget_open_versions
from surveys.services import questionnaire_install_default
from tests.conftest import run_manage

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = str(ROOT / "qms" / "settings.py")
FORM = "/ankieta/karty-uslug/"
QUESTIONNAIRE_API = "/api/v1/questionnaires/karty-uslug/"


@pytest.fixture
def survey(card_a):
    forget_open_versions()
    yield questionnaire_install_default()
    forget_open_versions()


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


def nonce_of(response) -> str:
    [nonce] = re.findall(r"'nonce-([^']+)'", directives(response)["script-src"][-1])
    return nonce


def assert_common_headers(response) -> None:
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "payment=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def private_no_store(response) -> bool:
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    return {"private", "no-store"} <= cache_control and "public" not in cache_control


# --- Headers on the three kinds of answer -----------------------------------------------


def test_a_signed_in_page_is_private_and_its_inline_style_carries_the_nonce(
    coordinator, client_for
):
    response = client_for(coordinator).get("/dashboard/")
    assert response.status_code == 200
    assert_common_headers(response)
    assert private_no_store(response)
    # viewflow's theme colours are an inline <style> (templates/viewflow/base.html).
    nonce = nonce_of(response)
    assert f'<style type="text/css" nonce="{nonce}">' in response.content.decode()
    assert f"'nonce-{nonce}'" in directives(response)["style-src"]


def test_the_public_form_keeps_its_headers_and_nonces_its_scripts(survey):
    response = Client().get(FORM)
    assert response.status_code == 200
    assert_common_headers(response)
    page = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all(f'nonce="{nonce_of(response)}"' in attrs for attrs in scripts)
    assert not response.cookies  # still cookie-free: the nonce needs no session
    assert "no-store" in response["Cache-Control"]  # never_cache, as before


def test_each_response_gets_a_fresh_nonce_but_a_session_keeps_one(survey, coordinator, client_for):
    anonymous = Client()
    assert nonce_of(anonymous.get(FORM)) != nonce_of(anonymous.get(FORM))
    # Turbo swaps the next page into the same document (and policy): one nonce a session.
    staff_client = client_for(coordinator)
    first = nonce_of(staff_client.get("/dashboard/"))
    assert nonce_of(staff_client.get("/catalogue/")) == first
    assert nonce_of(client_for(coordinator).get("/dashboard/")) != first  # another session


def test_an_api_answer_is_never_stored(survey, coordinator, client_for):
    public = Client().get(QUESTIONNAIRE_API)  # carries a one-time submission token
    assert public.status_code == 200
    assert private_no_store(public)
    assert "camera=()" in public["Permissions-Policy"]
    assert "Content-Security-Policy" in public
    staff_answer = client_for(coordinator).get("/api/v1/responses/")
    assert staff_answer.status_code == 200 and private_no_store(staff_answer)
    refused = Client().get("/api/v1/responses/")
    assert refused.status_code in {401, 403} and private_no_store(refused)


def test_the_login_page_has_the_same_headers(db):
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert_common_headers(response)


# --- Content-Language -------------------------------------------------------------------


def test_content_language_is_the_language_of_the_public_form(survey):
    browser_in_english = Client(HTTP_ACCEPT_LANGUAGE="en")
    polish = browser_in_english.get(FORM)
    assert polish["Content-Language"] == "pl" and '<html lang="pl">' in polish.content.decode()
    english = Client().get(FORM, {"jezyk": "en"})
    assert english["Content-Language"] == "en" and '<html lang="en">' in english.content.decode()
    switched = Client().post(FORM, {"jezyk": "en", "switch_language": "1"})
    assert switched["Content-Language"] == "en"


def test_content_language_of_staff_pages_follows_the_user(coordinator, client_for, settings):
    client = client_for(coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.get("/dashboard/")["Content-Language"] == "en"


# --- Cookies ----------------------------------------------------------------------------


def test_the_language_cookie_is_secure_when_debug_is_off(coordinator, settings):
    assert settings.DEBUG is False  # the suite runs like production (pyproject.toml)
    response = Client().post("/i18n/setlang/", {"language": "en", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en" and cookie["secure"] and cookie["samesite"] == "Lax"
    signed_in = Client().post(
        "/accounts/login/", {"username": "coordinator", "password": "password"}
    )
    assert signed_in.status_code == 302
    assert signed_in.cookies[settings.LANGUAGE_COOKIE_NAME]["secure"]
    assert signed_in.cookies[settings.SESSION_COOKIE_NAME]["secure"]
    assert signed_in.cookies[settings.CSRF_COOKIE_NAME]["secure"]


def test_hsts_is_sent_over_https_when_configured(coordinator, client_for, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client_for(coordinator).get("/dashboard/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"


# --- Settings from the environment ------------------------------------------------------


def load(monkeypatch, tmp_path, **env):
    """qms/settings.py evaluated afresh with this environment (as at a process start)."""
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG", "SECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(SETTINGS)


def test_forwarded_proto_is_trusted_only_behind_a_trusted_proxy(monkeypatch, tmp_path):
    direct = load(monkeypatch, tmp_path, TRUSTED_PROXY_COUNT="0")
    assert direct["SECURE_PROXY_SSL_HEADER"] is None
    proxied = load(monkeypatch, tmp_path, TRUSTED_PROXY_COUNT="1")
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_cookies_are_secure_unless_debugging(monkeypatch, tmp_path):
    names = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE")
    production = load(monkeypatch, tmp_path, DEBUG="0")
    assert all(production[name] is True for name in names)
    development = load(monkeypatch, tmp_path, DEBUG="1")
    assert all(development[name] is False for name in names)
    plain_http_on_purpose = load(monkeypatch, tmp_path, DEBUG="0", SECURE_COOKIES="0")
    assert all(plain_http_on_purpose[name] is False for name in names)


def test_hsts_redirect_and_throttling_come_from_the_environment(monkeypatch, tmp_path):
    default = load(monkeypatch, tmp_path)
    assert default["SECURE_HSTS_SECONDS"] == 0 and default["SECURE_SSL_REDIRECT"] is False
    assert default["AXES_FAILURE_LIMIT"] == 5
    assert default["AXES_COOLOFF_TIME"].total_seconds() == 15 * 60
    s = load(
        monkeypatch,
        tmp_path,
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        SECURE_HSTS_PRELOAD="1",
        SECURE_SSL_REDIRECT="1",
        LOGIN_FAILURE_LIMIT="3",
        LOGIN_COOLOFF_MINUTES="30",
    )
    assert s["SECURE_HSTS_SECONDS"] == 31536000
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True and s["SECURE_HSTS_PRELOAD"] is True
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["AXES_FAILURE_LIMIT"] == 3 and s["AXES_COOLOFF_TIME"].total_seconds() == 30 * 60


# --- check --deploy ---------------------------------------------------------------------


def compose_environment() -> dict[str, str]:
    """The web service's environment from docker-compose.yml, with `${VAR:-default}`
    taken at its default (nothing set in .env)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"]["web"]["environment"]
    return {
        name: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))
        for name, value in environment.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "DATA_DIR"}  # no servers here
    }


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **compose_environment(),
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="jakosc.urzad.example",
        DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
