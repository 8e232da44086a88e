#!/usr/bin/env python3
"""Build the offline install bundle: every wheel the dashboard needs, pinned by version and hash.

Run on a machine that reaches the package index (stdlib and pip only, no project dependencies):

    python3 scripts/bundle.py                       # Linux x86_64 + aarch64, Python 3.11 + 3.12
    python3 scripts/bundle.py --host-only           # this machine's platform and Python (the tests)
    python3 scripts/bundle.py --archive             # also pack dist/kpi-dashboard-bundle.tar.gz

The bundle (default dist/kpi-dashboard-bundle/) holds:

| path | what |
|---|---|
| wheels/ | the wheels for every target, downloaded with `pip download --require-hashes` |
| requirements.lock | the lock (uv pip compile --universal --generate-hashes), the hashes pip checks |
| app/ | the dashboard's source (dashboard/, pages/, data_access/, sample_data/, deploy/, docs/) |
| install.sh | the server's install: a virtual environment from wheels/ only (`--no-index`) |
| deploy/ | the systemd unit, its environment file, the nginx site |
| BUNDLE.json | targets, wheel count per target, sizes, the source commit |

Wheels only (`--only-binary=:all:`): nothing is compiled on the server. manylinux wheels up to
glibc 2.28 (Kylin V10, UOS 20, openEuler 20.03 and later all have glibc >= 2.28).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
ARCHES = ("x86_64", "aarch64")
PYTHONS = ("3.11", "3.12")
# Newest first; pip takes the best wheel it finds. glibc 2.28 is the oldest the targets have.
MANYLINUX = ("manylinux_2_28", "manylinux_2_27", "manylinux_2_26", "manylinux_2_24", "manylinux_2_17",
             "manylinux2014", "manylinux_2_12", "manylinux2010", "manylinux_2_5", "manylinux1")
APP_PATHS = ("dashboard", "pages", "data_access", "sample_data", "deploy", "docs", ".streamlit",
             "requirements.txt", "requirements.lock", "pyproject.toml", "README.md")
EXCLUDE = ("__pycache__", "*.pyc", "secrets.toml", "*.sqlite3", ".pytest_cache")


@dataclass
class Pin:
    name: str
    version: str
    marker: str | None
    hashes: list[str] = field(default_factory=list)

    def line(self) -> str:
        return " ".join([f"{self.name}=={self.version}", *(f"--hash={h}" for h in self.hashes)])


def read_lock(path: Path = LOCK) -> list[Pin]:
    """The pins of a `uv pip compile --generate-hashes` lock (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    pins = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        m = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;]+)\s*(?:;\s*(.*?))?\s*((?:--hash=\S+\s*)*)$",
                     line)
        if not m:
            raise SystemExit(f"bundle: cannot read lock line: {line[:80]}")
        pins.append(Pin(m.group(1).lower(), m.group(2), (m.group(3) or "").strip() or None,
                        re.findall(r"--hash=(\S+)", m.group(4))))
    return pins


def marker_env(arch: str, python: str) -> dict[str, str]:
    """The environment markers of CPython `python` on Linux `arch`."""
    return {"python_version": python, "python_full_version": f"{python}.0", "platform_machine": arch,
            "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "platform_release": "", "platform_version": "", "implementation_version": f"{python}.0",
            "extra": ""}


def applies(pin: Pin, arch: str, python: str) -> bool:
    if not pin.marker:
        return True
    try:
        from packaging.markers import Marker
    except ImportError:  # pip vendors it
        from pip._vendor.packaging.markers import Marker  # type: ignore[assignment]
    return bool(Marker(pin.marker).evaluate(marker_env(arch, python)))


def host_target() -> tuple[str, str]:
    return platform.machine(), f"{sys.version_info.major}.{sys.version_info.minor}"


def download(pins: list[Pin], arch: str, python: str, wheels: Path) -> list[str]:
    """Download the wheels of one target into `wheels`; return the file names that serve it."""
    wanted = [p for p in pins if applies(p, arch, python)]
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "req.txt"
        req.write_text("\n".join(p.line() for p in wanted) + "\n", encoding="utf-8")
        cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-deps",
               "--only-binary=:all:", "--require-hashes", "--python-version", python,
               "--implementation", "cp", "--abi", "cp" + python.replace(".", ""),
               *(a for tag in MANYLINUX for a in ("--platform", f"{tag}_{arch}")),
               "-r", str(req), "-d", str(wheels), "--progress-bar", "off", "-q"]
        subprocess.run(cmd, check=True)
    names = []
    for pin in wanted:
        norm = re.sub(r"[-_.]+", "_", pin.name).lower()
        found = [w.name for w in wheels.glob("*.whl")
                 if re.sub(r"[-_.]+", "_", w.name.split("-")[0]).lower() == norm
                 and w.name.split("-")[1] == pin.version and _wheel_fits(w.name, arch, python)]
        if not found:
            raise SystemExit(f"bundle: no wheel of {pin.name}=={pin.version} for {arch} / Python {python}")
        names.append(sorted(found)[-1])
    return names


def _wheel_fits(name: str, arch: str, python: str) -> bool:
    *_, py, abi, plat = name[:-4].split("-")
    cp = "cp" + python.replace(".", "")
    py_ok = any(t in ("py3", "py2.py3", cp) or (t.startswith("cp3") and abi == "abi3" and int(t[3:]) <= int(cp[3:]))
                for t in py.split("."))
    plat_ok = plat == "any" or any(p.endswith(arch) for p in plat.split("."))
    return py_ok and plat_ok and abi in ("none", "abi3", cp)


def offline_check(pins: list[Pin], wheels: Path, arch: str, python: str) -> bool | None:
    """Resolve requirements.txt again with uv from `wheels` alone, as the target would (its glibc
    2.28, its Python, its markers), and compare with the lock: True when every locked version is
    there and nothing else is needed; None when uv is not installed (requirements-dev.txt has it)."""
    if subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True).returncode != 0:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "resolved.txt"
        subprocess.run([sys.executable, "-m", "uv", "pip", "compile", str(ROOT / "requirements.txt"),
                        "--no-index", "--find-links", str(wheels), "--only-binary", ":all:", "--no-cache",
                        "--python-platform", f"{arch}-manylinux_2_28", "--python-version", python,
                        "--no-header", "--no-annotate", "-q", "-o", str(out)], check=True)
        got = {tuple(ln.split("==", 1)) for ln in out.read_text(encoding="utf-8").split()
               if "==" in ln}
    want = {(re.sub(r"[-_.]+", "-", p.name), p.version) for p in pins if applies(p, arch, python)}
    got = {(re.sub(r"[-_.]+", "-", n.lower()), v) for n, v in got}
    if got != want:
        raise SystemExit(f"bundle: {arch} / Python {python} resolves otherwise offline: "
                         f"missing {sorted(want - got)[:5]}, extra {sorted(got - want)[:5]}")
    return True


def _ignore(_dir: str, names: list[str]) -> set[str]:
    import fnmatch

    return {n for n in names for pat in EXCLUDE if fnmatch.fnmatch(n, pat)}


def copy_app(dest: Path) -> None:
    dest.mkdir(parents=True)
    for rel in APP_PATHS:
        src = ROOT / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel, ignore=_ignore)
        elif src.is_file():
            shutil.copy2(src, dest / rel)


def commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True,
                               text=True, check=True).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def build(out: Path, targets: list[tuple[str, str]], archive: bool = False) -> dict[str, object]:
    started = time.monotonic()
    if out.exists():
        shutil.rmtree(out)
    wheels = out / "wheels"
    wheels.mkdir(parents=True)
    pins = read_lock()
    per_target: dict[str, dict[str, object]] = {}
    for arch, python in targets:
        names = download(pins, arch, python, wheels)
        size = sum((wheels / n).stat().st_size for n in names)
        per_target[f"linux-{arch}-py{python}"] = {"wheels": len(names), "bytes": size}
    for arch, python in targets:
        per_target[f"linux-{arch}-py{python}"]["offline_check"] = offline_check(pins, wheels, arch, python)
    shutil.copy2(LOCK, out / "requirements.lock")
    copy_app(out / "app")
    shutil.copytree(ROOT / "deploy", out / "deploy", ignore=_ignore)
    shutil.copy2(ROOT / "deploy" / "install.sh", out / "install.sh")
    (out / "install.sh").chmod(0o755)
    files = sorted(wheels.glob("*.whl"))
    info: dict[str, object] = {
        "commit": commit(), "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "targets": per_target, "wheel_files": len(files), "wheel_bytes": sum(f.stat().st_size for f in files),
        "sha256": {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files},
    }
    if archive:
        tar = out.with_name(out.name + ".tar.gz")
        with tarfile.open(tar, "w:gz") as t:
            t.add(out, arcname=out.name)
        info["archive"] = str(tar)
        info["archive_bytes"] = tar.stat().st_size
    info["seconds"] = round(time.monotonic() - started, 1)
    (out / "BUNDLE.json").write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "dist" / "kpi-dashboard-bundle")
    ap.add_argument("--arch", action="append", choices=ARCHES, help="default: both")
    ap.add_argument("--python", action="append", choices=PYTHONS, help="default: 3.11 and 3.12")
    ap.add_argument("--host-only", action="store_true", help="only this machine's platform and Python")
    ap.add_argument("--archive", action="store_true", help="also write OUT.tar.gz")
    args = ap.parse_args(argv)
    if args.host_only:
        targets = [host_target()]
    else:
        targets = [(a, p) for a in (args.arch or ARCHES) for p in (args.python or PYTHONS)]
    info = build(args.out.resolve(), targets, archive=args.archive)
    for name, t in info["targets"].items():  # type: ignore[attr-defined]
        checked = {True: "resolves offline", None: "not checked (no uv)"}[t["offline_check"]]
        print(f"{name}: {t['wheels']} wheels, {t['bytes'] / 2**20:.1f} MiB, {checked}")
    print(f"{info['wheel_files']} wheel files, {int(info['wheel_bytes']) / 2**20:.1f} MiB "  # type: ignore[call-overload]
          f"in {args.out} ({info['seconds']} s)")
    if "archive" in info:
        print(f"archive: {info['archive']} ({int(info['archive_bytes']) / 2**20:.1f} MiB)")  # type: ignore[call-overload]
    return 0


if __name__ == "__main__":
    sys.exit(main())
