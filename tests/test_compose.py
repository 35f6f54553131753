"""No Docker engine runs here, so check docker-compose.yml's structure instead."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_present(compose):
    assert {"postgres", "redis", "web", "worker", "beat", "proxy"} <= set(compose["services"])


def test_app_services_share_image_and_settings(compose):
    services = compose["services"]
    app = [services[name] for name in ("web", "worker", "beat", "migrate")]
    assert len({s["image"] for s in app}) == 1
    assert all(s["build"] == "." for s in app)
    assert all(s["env_file"] == ".env" for s in app)
    environments = [s["environment"] for s in app]
    assert all(env == environments[0] for env in environments)
    assert environments[0]["DATABASE_URL"].startswith("postgres://")
    assert environments[0]["REDIS_URL"].startswith("redis://")
    assert (ROOT / "Dockerfile").exists()


def test_commands(compose):
    services = compose["services"]
    assert services["web"]["command"][0] == "gunicorn" and "qms.wsgi" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "celery_app", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "celery_app", "beat"]
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]


def test_every_long_running_service_has_a_healthcheck(compose):
    for name in ("postgres", "redis", "web", "worker", "beat", "proxy"):
        assert compose["services"][name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_named_volumes_and_startup_order(compose):
    assert {"pgdata", "redisdata", "media"} <= set(compose["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    web_deps = compose["services"]["web"]["depends_on"]
    assert web_deps["postgres"]["condition"] == "service_healthy"
    assert web_deps["migrate"]["condition"] == "service_completed_successfully"


def test_env_example_is_a_valid_env_file():
    for line in (ROOT / ".env.example").read_text().splitlines():
        assert not line.strip() or line.startswith("#") or "=" in line, line


def test_only_the_https_proxy_is_published(compose):
    services = compose["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert {"80:80", "443:443"} <= set(services["proxy"]["ports"])
    assert services["web"]["expose"] == ["8000"]  # reachable on the compose network only


def test_the_proxy_is_caddy_for_the_site_domain_in_front_of_gunicorn(compose):
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert proxy["environment"]["SITE_DOMAIN"].startswith("${SITE_DOMAIN:?")
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert any(volume.startswith("caddy_data:") for volume in proxy["volumes"])
    assert "caddy_data" in compose["volumes"]  # certificates survive a re-create
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "{$SITE_DOMAIN}" in caddyfile and "reverse_proxy web:8000" in caddyfile


def test_the_web_service_trusts_exactly_one_proxy_and_asks_for_https(compose):
    environment = compose["services"]["web"]["environment"]
    assert environment["TRUSTED_PROXY_COUNT"] == "1"
    assert environment["SECURE_SSL_REDIRECT"] == "1"
    assert environment["SECURE_HSTS_SECONDS"].endswith(":-31536000}")
