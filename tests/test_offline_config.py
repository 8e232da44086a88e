"""Intranet hygiene is configured where Streamlit reads it (the entrypoint's folder wins)."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_nothing_leaves_the_machine_by_configuration():
    for path in (ROOT / "dashboard/.streamlit/config.toml", ROOT / ".streamlit/config.toml"):
        cfg = tomllib.loads(path.read_text(encoding="utf-8"))
        assert cfg["browser"]["gatherUsageStats"] is False  # no usage statistics
        assert cfg["browser"]["serverAddress"] == "localhost"  # no external-IP lookup at start
        assert cfg["client"]["showErrorDetails"] == "none"  # no tracebacks or outside help links
        assert cfg["client"]["toolbarMode"] == "viewer"
        assert cfg["client"]["disableDataExport"] is True  # exports only through neutralising buttons
        assert cfg["runner"]["postScriptGC"] is False  # no full GC after each run (a quarter of the CPU under load)
    assert not (ROOT / ".streamlit/secrets.toml").exists() or "secrets.toml" in (ROOT / ".gitignore").read_text()
