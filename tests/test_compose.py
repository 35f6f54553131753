"""No Docker engine runs here, so check docker-compose.yml's structure instead."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_present(compose):
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(compose["services"])


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
    for name in ("postgres", "redis", "web", "worker", "beat"):
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
