"""How much can anonymous clients slow a signed-in user? (issue 17; dashboard/server_guard.py)

Starts `streamlit run dashboard/auth_server.py` (or, with --entry dashboard/app.py, the same app
without the guard, for the "before" figure) on a copy of the sample data with built-in login,
signs a 领导 in by cookie, and times that user's reruns of the overview (send rerun_script, wait
for script_finished): first alone, then while N anonymous websocket clients loop back-messages as
fast as the server takes them (clear_cache, rerun_script, load_git_info, app_heartbeat,
file_urls_request, set_run_on_save by default; --kinds to choose). Prints the medians and their
ratio; the goal is a ratio <= 1.5. Not a test: nothing is asserted. Bounded: --runs reruns per
phase, each at most 60 s, the attack stops after the measured phase.

    python -m benchmarks.guard                       # guarded, 4 attackers, 15 reruns per phase
    python -m benchmarks.guard --entry dashboard/app.py   # unguarded, for comparison
"""
from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg

from tests import guard_client as gc

DEFAULT_KINDS = "clear_cache,rerun_script,load_git_info,app_heartbeat,file_urls_request,set_run_on_save"


def _message(kind: str) -> bytes:
    if kind == "rerun_script":
        return gc.rerun_msg()
    if kind == "file_urls_request":
        msg = BackMsg()
        msg.file_urls_request.request_id = "x"
        msg.file_urls_request.file_names.extend(["a.csv"])
        msg.file_urls_request.session_id = "x"
        return msg.SerializeToString()
    return gc.simple_msg(kind)


def _attacker(base: str, kinds: list[str], stop, sent, i: int) -> None:
    """One anonymous client in its own process (so it does not take the measuring client's GIL),
    with a small socket send buffer: it then loops as fast as the server takes its messages,
    blocked in send() otherwise, as a client on another machine would be."""
    import socket

    from websockets.sync.client import connect

    host, port = base.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
    sock.connect((host, int(port)))
    ws = connect(base.replace("http://", "ws://") + "/_stcore/stream", sock=sock, subprotocols=["streamlit"],
                 max_size=None, open_timeout=30, legacy=True)
    frames = [_message(k) for k in kinds]

    def drain() -> None:  # read what the server sends, or it stops sending and drops the client
        while not stop.is_set():
            try:
                ws.recv(timeout=0.5)
            except TimeoutError:
                continue
            except Exception:  # noqa: BLE001 - closed
                return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    n = 0
    try:
        while not stop.is_set():
            for frame in frames:
                ws.send(frame)
                n += 1
                sent[i] = n
    except Exception:  # noqa: BLE001 - the server closed the connection
        pass
    finally:
        sent[i] = n
        ws.close()


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of the server process so far (all its threads)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


RUN_TIMEOUT = 30.0  # seconds; a rerun slower than this ends its phase (counted as this long)


def _time_runs(client: gc.Client, runs: int, pid: int) -> tuple[list[float], float]:
    """(seconds per rerun, server CPU seconds per wall second meanwhile). A rerun that does not
    finish within RUN_TIMEOUT counts as RUN_TIMEOUT and ends the phase (the connection is unusable)."""
    times = []
    cpu0, wall0 = _cpu_s(pid), time.perf_counter()
    for _ in range(runs):
        t0 = time.perf_counter()
        try:
            client.run(timeout=RUN_TIMEOUT)
        except TimeoutError:
            times.append(RUN_TIMEOUT)
            print(f"  a rerun did not finish within {RUN_TIMEOUT:.0f} s; phase ended")
            break
        times.append(time.perf_counter() - t0)
    return times, (_cpu_s(pid) - cpu0) / (time.perf_counter() - wall0)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entry", default="dashboard/auth_server.py")
    ap.add_argument("--attackers", type=int, default=4)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--kinds", default=DEFAULT_KINDS)
    args = ap.parse_args(argv)

    from data_access.db import make_engine
    from data_access.sample_loader import load_sample
    from data_access.schema import migrate

    tmp = Path(tempfile.mkdtemp(prefix="guard-bench-"))
    url = f"sqlite:///{tmp / 'kpi.sqlite3'}"
    eng = make_engine(url)
    migrate.upgrade(eng)
    load_sample(eng)
    gc.make_users(eng, [("boss", "领导", None)])
    proc, base = gc.start(url, tmp / "server.log", entry=args.entry)
    try:
        # No client pings: against the unguarded server they time out and end the connection
        # (what a browser sees then is a reconnect); timing the reruns is what is measured here.
        leader = gc.open_client(base, gc.cookie_token(eng, "boss"), ping_interval=None)
        _time_runs(leader, 3, proc.pid)  # warm: imports, caches
        alone, cpu_alone = _time_runs(leader, args.runs, proc.pid)
        ctx = multiprocessing.get_context("spawn")
        stop = ctx.Event()
        sent = ctx.Array("q", args.attackers)
        threads = [ctx.Process(target=_attacker, args=(base, args.kinds.split(","), stop, sent, i), daemon=True)
                   for i in range(args.attackers)]
        for t in threads:
            t.start()
        time.sleep(3.0)  # let the attack get going (start-up, buffers filled)
        sent0 = sum(sent)
        t0 = time.perf_counter()
        attacked, cpu_attacked = _time_runs(leader, args.runs, proc.pid)
        span, written = time.perf_counter() - t0, sum(sent) - sent0
        stop.set()
        for t in threads:
            t.join(timeout=10)
            if t.is_alive():
                t.terminate()
        time.sleep(2.0)
        leader.close()  # a new connection: the old one may still wait for a lost run
        try:  # alone again: the machine's drift
            leader = gc.open_client(base, gc.cookie_token(eng, "boss"), ping_interval=None)
            again, cpu_again = _time_runs(leader, args.runs, proc.pid)
            leader.close()
        except TimeoutError:  # the unguarded server still works through what the attackers sent
            print("  after the attack the server did not answer a new connection within 30 s")
            again, cpu_again = [], float("nan")
    finally:
        gc.stop(proc)
        eng.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
    a, b = statistics.median(alone + again), statistics.median(attacked)

    def line(name: str, xs: list[float], cpu: float) -> str:
        if not xs:
            return f"{name:<30} (no figure)"
        return (f"{name:<30} median {statistics.median(xs) * 1000:5.0f} ms  (min {min(xs) * 1000:.0f}, "
                f"max {max(xs) * 1000:.0f}); server CPU {cpu:.2f} s/s")

    print(f"entry: {args.entry}; {args.attackers} anonymous clients looping {args.kinds}; {args.runs} reruns a phase")
    print(line("leader rerun alone:", alone, cpu_alone))
    print(line("leader rerun under the attack:", attacked, cpu_attacked))
    print(line("leader rerun alone again:", again, cpu_again))
    print(f"ratio: {b / a:.2f}x (goal <= 1.5x). The attackers got {written} messages "
          f"({written / max(span, 1e-9):.0f}/s) into their sockets while measured (0: blocked, the server took no more)")

if __name__ == "__main__":
    main()
