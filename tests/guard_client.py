"""A minimal Streamlit client without a browser, for tests/test_server_guard.py and
benchmarks/guard.py (no pytest here): start `streamlit run dashboard/auth_server.py`, open the
websocket `/_stcore/stream` with or without the `kpi_session` cookie, send back-messages
(streamlit.proto.BackMsg_pb2) and read forward-messages until a run finishes, upload through
`/_stcore/upload_file/...` with a valid XSRF token.
"""
from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import ClientConnection, connect

from data_access.accounts import auth
from tests.browser import support

PW = "Xk9-pass-word"


def make_users(eng, users) -> None:
    """Accounts (name, role, unit) with password PW, past the forced first change."""
    from sqlalchemy import update

    from data_access.schema.accounts import User

    setup = auth.AuthUser("setup", "setup", auth.ROLE_ADMIN)
    for name, role, unit in users:
        auth.create_user(eng, setup, name, role, unit_code=unit, password=PW)
    with eng.begin() as conn:
        conn.execute(update(User).values(must_change_password=False))


def cookie_token(eng, name: str) -> str:
    """What a browser holds after signing in: the kpi_session cookie's token."""
    login = auth.login(eng, name, PW)
    token, _ = auth.redeem_handoff(eng, login.handoff_code)
    return token


def start(db_url: str, log: Path, entry: str = "dashboard/auth_server.py", extra_env: dict | None = None,
          timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """`streamlit run <entry>` on a free port (own process group); (process, base URL)."""
    port = support._free_port()
    env = {**os.environ, "KPI_DATABASE_URL": db_url, "KPI_AUTH_MODE": "builtin", "PYTHONUNBUFFERED": "1",
           **(extra_env or {})}
    cmd = [sys.executable, "-m", "streamlit", "run", entry, "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=support.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        support._wait_healthy(base, proc, log, timeout)
    except BaseException:
        support.stop_server(proc)
        raise
    return proc, base


def stop(proc: subprocess.Popen) -> None:
    support.stop_server(proc)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def xsrf_cookie(base: str) -> str:
    """The `_streamlit_xsrf` cookie Streamlit hands out (with the health answer)."""
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as r:
        for header in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "_streamlit_xsrf":
                return rest.split(";", 1)[0]
    raise RuntimeError("no XSRF cookie")


def rerun_msg(widget_states=None) -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_script_hash = ""
    if widget_states:
        msg.rerun_script.widget_states.widgets.extend(widget_states)
    return msg.SerializeToString()


def simple_msg(kind: str) -> bytes:
    """A back-message of one of the bool types: clear_cache, app_heartbeat, load_git_info, ..."""
    msg = BackMsg()
    setattr(msg, kind, True)
    return msg.SerializeToString()


@dataclass
class Client:
    """One websocket connection (one Streamlit session)."""

    ws: ClientConnection
    session_id: str | None = None
    frames: list[bytes] = field(default_factory=list)  # the forward-messages of the last run

    def run(self, payload: bytes | None = None, timeout: float = 60) -> bytes:
        """Send a rerun (or `payload`) and read until the run finishes; its messages' bytes, joined."""
        self.ws.send(payload or rerun_msg())
        return self.read_run(timeout)

    def read_run(self, timeout: float = 60) -> bytes:
        frames: list[bytes] = []
        deadline = time.monotonic() + timeout
        while True:
            data = self.ws.recv(timeout=max(0.01, deadline - time.monotonic()))
            assert isinstance(data, bytes)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id
                frames = []
            frames.append(data)
            if kind == "script_finished":
                self.frames = frames
                return b"".join(frames)

    def text(self) -> bytes:
        return b"".join(self.frames)

    def elements(self) -> list:
        """The new elements of the last run (protobuf Element objects)."""
        out = []
        for data in self.frames:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
                out.append(msg.delta.new_element)
        return out

    def close(self) -> None:
        self.ws.close()


def open_client(base: str, token: str | None = None, first_run: bool = True,
                ping_interval: float | None = 20) -> Client:
    cookies = [f"kpi_session={token}"] if token else []
    headers = {"Cookie": "; ".join(cookies)} if cookies else {}
    ws = connect(base.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"],
                 additional_headers=headers, max_size=None, open_timeout=30, legacy=True,
                 ping_interval=ping_interval)
    client = Client(ws)
    if first_run:
        client.run()
    return client


def multipart(file_name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{file_name}\"; filename=\"{file_name}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(base: str, session_id: str, content: bytes, token: str | None, method: str = "PUT",
           expect_continue: bool = False) -> tuple[int, bytes]:
    """An upload as the browser sends it (XSRF header and cookie, and the login cookie if any).

    With `expect_continue` the body is sent only after the server asked for it (100 Continue):
    a refusal then arrives before any of the body was sent."""
    xsrf = xsrf_cookie(base)
    body, ctype = multipart("report.csv", content)
    cookies = [f"_streamlit_xsrf={xsrf}"] + ([f"kpi_session={token}"] if token else [])
    host = base.removeprefix("http://")
    conn = http.client.HTTPConnection(host, timeout=60)
    path = f"/_stcore/upload_file/{session_id}/{uuid.uuid4()}"
    headers = {"Cookie": "; ".join(cookies), "X-Xsrftoken": xsrf, "Content-Type": ctype,
               "Content-Length": str(len(body))}
    if method == "DELETE":
        conn.request("DELETE", path, headers={k: v for k, v in headers.items() if k != "Content-Length"})
    elif expect_continue:
        conn.putrequest(method, path)
        for k, v in {**headers, "Expect": "100-continue"}.items():
            conn.putheader(k, v)
        conn.endheaders()
        conn.sock.settimeout(30)
        first = conn.sock.recv(65536)
        if first.startswith(b"HTTP/1.1 100"):
            conn.sock.sendall(body)
            conn.sock.settimeout(60)  # a loaded machine may take long to parse a 9 MB body
            first = b""
            while b"\r\n\r\n" not in first:
                first += conn.sock.recv(65536)
        while True:  # the guard's answers close the connection; Streamlit's carry a length
            head, _, rest = first.partition(b"\r\n\r\n")
            length = [int(h.split(b":")[1]) for h in head.lower().split(b"\r\n") if h.startswith(b"content-length:")]
            done = (length and len(rest) >= length[0]) or head.startswith(b"HTTP/1.1 204")
            if b"\r\n\r\n" in first and done:
                break
            chunk = conn.sock.recv(65536)
            if not chunk:
                break
            first += chunk
        conn.close()
        head, _, rest = first.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), rest
    else:
        conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data
