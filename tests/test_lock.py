"""requirements.lock (uv pip compile --universal --generate-hashes) against requirements.txt, and the
bundle builder's reading of it (issue #16)."""
from __future__ import annotations

import importlib.util
import re
import sys

from tests.deploy_support import ROOT

_spec = importlib.util.spec_from_file_location("bundle", ROOT / "scripts" / "bundle.py")
bundle = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bundle", bundle)  # dataclasses look their module up
_spec.loader.exec_module(bundle)


def _requirements() -> dict[str, tuple[str, list[str]]]:
    """{name: (version, extras)} of requirements.txt's pins."""
    out = {}
    for raw in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[([^\]]+)\])?==(\S+)", line)
        assert m, f"requirements.txt line is not a pin: {line}"
        out[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = (m.group(3), (m.group(2) or "").split(","))
    return out


def _lock() -> dict[str, list]:
    pins: dict[str, list] = {}
    for pin in bundle.read_lock():
        pins.setdefault(re.sub(r"[-_.]+", "-", pin.name), []).append(pin)
    return pins


def test_lock_has_every_pin_of_requirements_at_the_same_version():
    req, lock = _requirements(), _lock()
    assert len(req) == 19
    for name, (version, _extras) in req.items():
        assert name in lock, f"{name} missing from requirements.lock: run bash scripts/lock.sh"
        assert {p.version for p in lock[name]} == {version}, f"{name}: lock has another version"


def test_every_locked_package_is_pinned_with_sha256_hashes():
    pins = bundle.read_lock()
    assert len(pins) > 50
    for pin in pins:
        assert pin.hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in pin.hashes), pin.name


def test_extras_are_locked_too():
    assert _requirements()["psycopg"][1] == ["binary"]
    (binary,) = _lock()["psycopg-binary"]
    assert binary.version == _requirements()["psycopg"][0]


def test_markers_pick_one_version_per_target():
    pins = bundle.read_lock()
    for python in ("3.11", "3.12"):
        for arch in ("x86_64", "aarch64"):
            chosen = [p for p in pins if bundle.applies(p, arch, python)]
            names = [p.name for p in chosen]
            assert len(names) == len(set(names)), f"two versions of one package for {arch}/{python}"
            assert "streamlit" in names and "psycopg-binary" in names
    contour = {py: [p.version for p in pins if p.name == "contourpy" and bundle.applies(p, "x86_64", py)]
               for py in ("3.11", "3.12")}
    assert len(contour["3.11"]) == len(contour["3.12"]) == 1


def test_requires_python_matches_the_supported_pythons():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.11"' in text
    assert bundle.PYTHONS == ("3.11", "3.12") and bundle.ARCHES == ("x86_64", "aarch64")


def test_wheel_tag_filter():
    fits = bundle._wheel_fits
    assert fits("numpy-2.4.6-cp311-cp311-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl", "aarch64", "3.11")
    assert not fits("numpy-2.4.6-cp311-cp311-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl", "x86_64", "3.11")
    assert not fits("numpy-2.4.6-cp312-cp312-manylinux_2_28_x86_64.whl", "x86_64", "3.11")
    assert fits("argon2_cffi_bindings-26.2.0-cp39-abi3-manylinux_2_28_x86_64.whl", "x86_64", "3.12")
    assert fits("alembic-1.20.1-py3-none-any.whl", "aarch64", "3.12")
