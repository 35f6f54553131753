import pytest


@pytest.mark.django_db
def test_healthz_ok(anonymous):
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["broker"] == "ok"


@pytest.mark.django_db
def test_healthz_503_when_broker_is_down(anonymous, monkeypatch):
    from celery import Celery

    import celery_app

    # Nothing listens on port 1: the connection is refused at once.
    monkeypatch.setattr(
        celery_app, "app", Celery("down", broker="redis://127.0.0.1:1/0", set_as_current=False)
    )
    response = anonymous.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_healthz_503_when_database_is_down(anonymous, monkeypatch):
    from qms import health

    def broken():
        raise OSError("database gone")

    monkeypatch.setattr(health, "check_database", broken)
    response = anonymous.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OSError"
