"""The service files of deploy/ (issue #16): the systemd unit passes `systemd-analyze verify`, and
the nginx site passes `nginx -t` and really serves the dashboard over TLS (self-signed
certificate made here, unprivileged ports, its own prefix)."""
from __future__ import annotations

import re
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from data_access.db import make_engine
from tests.conftest import skip_or_fail
from tests.deploy_support import ROOT, free_port, get, nginx_main_conf, start_entrypoint, stop_server

UNIT = ROOT / "deploy" / "kpi-dashboard.service"
SITE = ROOT / "deploy" / "nginx-kpi-dashboard.conf"
ENV_EXAMPLE = ROOT / "deploy" / "kpi-dashboard.env.example"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _verify(unit_text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """`systemd-analyze verify` of the unit with /opt/kpi-dashboard moved under tmp_path (verify
    checks that the programs it starts exist)."""
    if not Path(SYSTEMD_ANALYZE).exists():
        skip_or_fail("systemd-analyze not available")
    prefix = tmp_path / "opt"
    (prefix / "venv" / "bin").mkdir(parents=True)
    (prefix / "app").mkdir()
    (prefix / "venv" / "bin" / "python").symlink_to(shutil.which("python3") or "/usr/bin/python3")
    unit = tmp_path / "kpi-dashboard.service"
    unit.write_text(unit_text.replace("/opt/kpi-dashboard", str(prefix)), encoding="utf-8")
    return subprocess.run([SYSTEMD_ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60)


def test_unit_verifies_clean(tmp_path):
    r = _verify(UNIT.read_text(encoding="utf-8"), tmp_path)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


def test_verify_would_catch_a_broken_unit(tmp_path):
    r = _verify(UNIT.read_text(encoding="utf-8").replace("Restart=on-failure", "Restart=sometimes"), tmp_path)
    assert "restart specifier" in r.stderr and "sometimes" in r.stderr  # the check above has teeth


def test_unit_starts_the_production_entrypoint_after_init():
    text = UNIT.read_text(encoding="utf-8")
    start = re.search(r"^ExecStart=((?:.*\\\n)*.*)", text, re.M).group(1)
    assert "-m streamlit run dashboard/auth_server.py" in start and "--server.address=127.0.0.1" in start
    assert re.search(r"^ExecStartPre=/opt/kpi-dashboard/venv/bin/python -m data_access init$", text, re.M)
    for line in ("Restart=on-failure", "StandardOutput=journal", "StandardError=journal",
                 "EnvironmentFile=/etc/kpi-dashboard/kpi-dashboard.env", "WorkingDirectory=/opt/kpi-dashboard/app",
                 "User=kpi", "StateDirectory=kpi-dashboard", "WantedBy=multi-user.target"):
        assert re.search(rf"^{re.escape(line)}$", text, re.M), line


def test_environment_example_names_only_real_settings_and_no_secret():
    from data_access.settings import Settings

    names = set(re.findall(r"^#?(KPI_[A-Z_]+)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M))
    fields = {"KPI_" + f.upper() for f in Settings.model_fields}
    assert names and names <= fields, names - fields
    assert "CHANGE-ME" in ENV_EXAMPLE.read_text(encoding="utf-8")  # placeholders, never a password


def _nginx_conf(tmp_path: Path, https_port: int, http_port: int, upstream: str) -> Path:
    if not Path(NGINX).exists():
        skip_or_fail("nginx not available (apt-get install nginx)")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(tmp_path / "kpi.key"), "-out", str(tmp_path / "kpi.crt"),
                    "-subj", "/CN=kpi.intranet.example",
                    "-addext", "subjectAltName=DNS:kpi.intranet.example,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    site = SITE.read_text(encoding="utf-8")
    site = site.replace("/etc/kpi-dashboard/tls/", f"{tmp_path}/").replace("/var/log/nginx/", f"{tmp_path}/")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("server 127.0.0.1:8501;", f"server {upstream};")
    return nginx_main_conf(tmp_path, site, connections=64)


def test_nginx_site_passes_nginx_t(tmp_path):
    conf = _nginx_conf(tmp_path, free_port(), free_port(), "127.0.0.1:8501")
    r = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and "test is successful" in r.stderr, r.stderr


def test_nginx_serves_the_dashboard_over_tls(tiny_url, tmp_path):
    proc, base = start_entrypoint("python3", ROOT, tiny_url, tmp_path / "server.log")
    https, http = free_port(), free_port()
    conf = _nginx_conf(tmp_path, https, http, base.removeprefix("http://"))
    nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.PIPE,
                             start_new_session=True)
    try:
        ctx = ssl.create_default_context(cafile=str(tmp_path / "kpi.crt"))
        front = f"https://127.0.0.1:{https}"
        for _ in range(50):
            try:
                status, body = get(f"{front}/_stcore/health", context=ctx)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("nginx did not answer")
        assert (status, body) == (200, "ok")
        status, body = get(f"{front}/healthz", context=ctx)  # from 127.0.0.1: allowed
        assert status == 200 and '"status":"ok"' in body
        status, page = get(f"{front}/", context=ctx)
        assert status == 200 and "<html" in page.lower()
        req = urllib.request.Request(f"http://127.0.0.1:{http}/x?y=1", method="GET")
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(req, timeout=10)
            pytest.fail("plain HTTP was not redirected")
        except urllib.error.HTTPError as exc:
            assert exc.code == 301 and exc.headers["Location"].startswith("https://")
    finally:
        nginx.send_signal(signal.SIGQUIT)
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
        stop_server(proc)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


def test_backup_timer_and_service_verify_clean(tmp_path):
    """The daily backup timer and its service pass `systemd-analyze verify` together."""
    prefix = tmp_path / "opt"
    (prefix / "venv" / "bin").mkdir(parents=True)
    (prefix / "app").mkdir()
    (prefix / "venv" / "bin" / "python").symlink_to(shutil.which("python3") or "/usr/bin/python3")
    if not Path(SYSTEMD_ANALYZE).exists():
        skip_or_fail("systemd-analyze not available")
    files = []
    for name in ("kpi-dashboard-backup.service", "kpi-dashboard-backup.timer"):
        text = (ROOT / "deploy" / name).read_text(encoding="utf-8").replace("/opt/kpi-dashboard", str(prefix))
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(str(tmp_path / name))
    r = subprocess.run([SYSTEMD_ANALYZE, "verify", *files], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


def _app_prefix(tmp_path: Path) -> Path:
    """/opt/kpi-dashboard as install.sh leaves it, with the checkout as app/ and this Python as venv."""
    prefix = tmp_path / "opt"
    (prefix / "venv" / "bin").mkdir(parents=True)
    (prefix / "venv" / "bin" / "python").symlink_to(shutil.which("python3") or "/usr/bin/python3")
    (prefix / "app").symlink_to(ROOT)
    return prefix


def test_the_backup_service_command_writes_a_restorable_file(tiny_url, tmp_path):
    import zipfile

    from data_access import backup

    prefix = _app_prefix(tmp_path)
    state = tmp_path / "var"
    (state / "backups").mkdir(parents=True)
    old = state / "backups" / "kpi-20000101-000000.zip"
    old.write_bytes(b"old")
    subprocess.run(["touch", "-d", "2000-01-01", str(old)], check=True)
    unit = (ROOT / "deploy" / "kpi-dashboard-backup.service").read_text(encoding="utf-8")
    unit = unit.replace("/opt/kpi-dashboard", str(prefix)).replace("/var/lib/kpi-dashboard", str(state))
    start = re.search(r"^ExecStart=/bin/sh -c '(.*)'$", unit, re.M).group(1).replace("%%", "%")
    post = re.search(r"^ExecStartPost=(.*)$", unit, re.M).group(1).replace('"kpi-*.zip"', "kpi-*.zip")
    env = {"PATH": "/usr/bin:/bin", "KPI_DATABASE_URL": tiny_url}
    r = subprocess.run(["/bin/sh", "-c", start], cwd=prefix / "app", env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "备份完成" in r.stdout, r.stderr
    subprocess.run(post.split(), check=True)
    (made,) = (state / "backups").glob("kpi-*.zip")
    assert re.fullmatch(r"kpi-\d{8}-\d{6}\.zip", made.name)  # and the 30-day-old one is gone
    assert zipfile.is_zipfile(made)
    restored = backup.restore(make_engine(f"sqlite:///{tmp_path / 'drill.sqlite3'}"), made)
    assert restored.rows == backup.read_manifest(made).rows > 0


def test_cli_wrapper_reads_the_environment_file(tiny_url, tmp_path):
    prefix = _app_prefix(tmp_path)
    env_file = tmp_path / "kpi-dashboard.env"
    env_file.write_text(ENV_EXAMPLE.read_text(encoding="utf-8").replace(
        "KPI_DATABASE_URL=sqlite:////var/lib/kpi-dashboard/kpi.sqlite3", f"KPI_DATABASE_URL={tiny_url}"),
        encoding="utf-8")
    r = subprocess.run([str(ROOT / "deploy" / "kpi-dashboard-cli"), "status"], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "KPI_PREFIX": str(prefix), "KPI_ENV_FILE": str(env_file)},
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"数据库：{tiny_url}" in r.stdout and "结构：current" in r.stdout


def _unit_command(text: str, key: str) -> list[str]:
    import shlex

    value = re.search(rf"^{key}=((?:.*\\\n)*.*)$", text, re.M).group(1)
    return shlex.split(value.replace("\\\n", " "))


def test_the_units_own_commands_upgrade_the_schema_and_serve(tmp_path):
    """ExecStartPre and ExecStart exactly as the unit has them (paths moved under tmp_path, another
    port), with the example environment file: init builds the schema, then /healthz answers 200."""
    import os

    from tests.deploy_support import _wait_healthy

    prefix = _app_prefix(tmp_path)
    port = free_port()
    unit = UNIT.read_text(encoding="utf-8").replace("/opt/kpi-dashboard", str(prefix))
    unit = unit.replace("--server.port=8501", f"--server.port={port}")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    for raw in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if raw and not raw.startswith("#"):
            key, value = raw.split("=", 1)
            env[key] = value.replace("/var/lib/kpi-dashboard", str(tmp_path / "var"))
    (tmp_path / "var").mkdir()
    pre = subprocess.run(_unit_command(unit, "ExecStartPre"), cwd=prefix / "app", env=env, capture_output=True,
                         text=True, timeout=120)
    assert pre.returncode == 0 and "数据库结构已是最新版本" in pre.stdout, pre.stderr
    assert (tmp_path / "var" / "kpi.sqlite3").is_file()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(_unit_command(unit, "ExecStart"), cwd=prefix / "app", env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc, log, 90)
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and '"schema":"current"' in body
        assert os.path.basename(_unit_command(unit, "ExecStart")[0]) == "python"
    finally:
        stop_server(proc)
