from tests.conftest import ROOT, run_manage


def test_collectstatic_builds_a_manifest_with_viewflow_assets(tmp_path):
    """Production serves hashed static files with whitenoise: no CDN, works offline."""
    result = run_manage(
        "collectstatic", "--noinput", "--verbosity", "0", DATA_DIR=str(tmp_path), DEBUG="0"
    )
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "viewflow/css/viewflow.min.css" in manifest
    assert "viewflow/fonts/material-icons/material-icons.css" in manifest


def test_templates_load_nothing_from_other_hosts():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert "cdn" not in text.lower() and "googleapis" not in text, template
