"""The demo's three years: generated responses, two cycles carried to closed by the sweep."""

import datetime

import pytest
import time_machine

from qms.models import Office
from review import demo, services
from review.models import Cycle, Pack, PeerFile
from tests.review.conftest import at

TODAY = datetime.date(2026, 11, 21)


@pytest.fixture
def few_responses(monkeypatch):
    monkeypatch.setattr(demo, "RESPONSES_PER_YEAR", 300)


def test_demo_history_runs_the_real_cycle_and_loads_once(survey, coordinator, few_responses):
    Office.objects.create(name="Urząd Miasta Testowo", city="Testowo")
    with time_machine.travel(at(TODAY), tick=False):
        assert demo.load(today=TODAY) == 3
        assert demo.load(today=TODAY) == 0
    cycles = {c.year: c for c in Cycle.objects.all()}
    assert sorted(cycles) == [2024, 2025, 2026]
    assert cycles[2024].closed_on and cycles[2025].closed_on
    assert cycles[2026].closed_on is None
    current = cycles[2026]
    assert {s.name for s in current.steps.filter(done_at__isnull=False)} >= {"analyse", "deliver"}
    assert current.indicators.filter(scope="office", key="card_useful").exists()
    assert Pack.objects.filter(cycle=current, unit__isnull=False).count() == 2
    assert all(p.delivered_at for p in Pack.objects.filter(cycle=current))
    # Peer offices for the benchmark page, imported through the real import.
    assert PeerFile.objects.filter(year=2026).count() == len(demo.PEERS)


def test_next_years_cycle_is_offered_once_the_analysis_is_done(cycle, client_for, coordinator):
    assert services.next_cycle_offer(today=datetime.date(2026, 8, 29)) is None
    assert services.next_cycle_offer(today=datetime.date(2026, 8, 30)) == 2027
    with time_machine.travel(at(datetime.date(2026, 9, 1)), tick=False):
        page = client_for(coordinator).get("/review/").content.decode()
        assert 'data-offer="2027"' in page
        form = client_for(coordinator).get("/review/cycles/new/").content.decode()
        assert "2027-08-30" in form  # the default analysis deadline, 30 August
