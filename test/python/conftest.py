"""Fixtures that run the Runboard tracking server (node dist/cli.js serve) for the real mlflow client.

Every test module gets its own server on a fresh store directory (module-scoped, autouse), so
modules never see each other's data. The mlflow client is pointed at it through
MLFLOW_TRACKING_URI / MLFLOW_TRACKING_TOKEN (one random token per session) and
mlflow.set_tracking_uri(). Tests that need an empty store of their own use `fresh_server`.
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

# Client settings: these must be in place before mlflow reads them.
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"  # a 5xx fails fast instead of retrying for minutes
os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "60"
os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"
os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "false"
for _name in (
    "MLFLOW_WORKSPACE",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_RUN_ID",
    "MLFLOW_REGISTRY_URI",
    "MLFLOW_ACTIVE_MODEL_ID",
):
    os.environ.pop(_name, None)

import mlflow  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402
from mlflow import MlflowClient  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "dist" / "cli.js"
STARTUP_TIMEOUT = 20.0
SHUTDOWN_TIMEOUT = 20.0
URL_LINE = re.compile(r"^Runboard tracking server listening on (http://127\.0\.0\.1:(\d+))$")
SESSION_TOKEN = secrets.token_hex(16)


class RunningServer:
    """One `node dist/cli.js serve` process and what it printed."""

    def __init__(self, proc: subprocess.Popen, store: Path, token: str, stderr_path: Path):
        self.proc = proc
        self.store = store
        self.token = token
        self.stderr_path = stderr_path
        self.stdout_lines: queue.Queue[str | None] = queue.Queue()
        self.url: str = ""
        self.port: int = 0
        self.stopped_rc: int | None = None

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> int:
        """SIGTERM, wait for the exit, return the exit code (fails the test if it hangs)."""
        if self.stopped_rc is not None:
            return self.stopped_rc
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail(
                    f"server (store {self.store}) did not exit within {SHUTDOWN_TIMEOUT}s of SIGTERM; "
                    f"stderr:\n{self.stderr()}"
                )
        self.stopped_rc = self.proc.returncode
        return self.stopped_rc

    def stop_and_check(self) -> None:
        rc = self.stop()
        assert rc == 0, f"server exited with {rc} after SIGTERM (expected 0); stderr:\n{self.stderr()}"


def _drain(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line.rstrip("\r\n"))
    lines.put(None)


def start_server(store: Path, token: str = SESSION_TOKEN, log_dir: Path | None = None) -> RunningServer:
    """Start the server on a free port; wait for its URL line (fails the test with its stderr)."""
    if not CLI.is_file():
        pytest.fail(f"{CLI} is missing: build the server first (npm run build)")
    # RUNBOARD_NODE runs the server on another Node (the suite's Node 24 leg: node:sqlite instead of better-sqlite3).
    node = os.environ.get("RUNBOARD_NODE") or shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH")
    store.mkdir(parents=True, exist_ok=True)
    stderr_path = (log_dir or store.parent) / f"{store.name}.server-stderr.log"
    stderr_file = open(stderr_path, "ab")  # a file, so a chatty server can never block on a full pipe
    args = [node, str(CLI), "serve", "--store", str(store), "--host", "127.0.0.1", "--port", "0", "--token", token]
    proc = subprocess.Popen(
        args,
        cwd=str(REPO),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr_file,
        text=True,
        bufsize=1,
    )
    stderr_file.close()
    server = RunningServer(proc, store, token, stderr_path)
    threading.Thread(target=_drain, args=(proc.stdout, server.stdout_lines), daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    first = None
    while time.monotonic() < deadline:
        try:
            first = server.stdout_lines.get(timeout=0.1)
            break
        except queue.Empty:
            continue
    if first is None:
        rc = proc.poll()
        if rc is None:
            proc.kill()
            proc.wait()
            pytest.fail(
                f"server printed no URL line within {STARTUP_TIMEOUT}s: {' '.join(args)}\n"
                f"stderr:\n{server.stderr()}"
            )
        pytest.fail(f"server exited with {rc} before printing its URL: {' '.join(args)}\nstderr:\n{server.stderr()}")
    match = URL_LINE.match(first)
    if not match:
        proc.kill()
        proc.wait()
        pytest.fail(
            "first stdout line is not 'Runboard tracking server listening on http://127.0.0.1:PORT': "
            f"{first!r}\nstderr:\n{server.stderr()}"
        )
    server.url = match.group(1)
    server.port = int(match.group(2))
    assert server.port > 0, first
    return server


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory):
    """Starts extra servers; any still running at session end are stopped (and must exit 0)."""
    started: list[RunningServer] = []

    def factory(store: Path | None = None) -> RunningServer:
        server = start_server(store or tmp_path_factory.mktemp("store"))
        started.append(server)
        return server

    yield factory
    bad = []
    for server in started:
        rc = server.stop()
        if rc != 0:
            bad.append(f"{server.store}: exit {rc}\n{server.stderr()}")
    assert not bad, "servers exited non-zero after SIGTERM:\n" + "\n".join(bad)


def _reset_fluent_state() -> None:
    while mlflow.active_run() is not None:
        try:
            mlflow.end_run()  # pops the run first, so this loop always ends
        except Exception:
            pass
    mlflow.tracking.fluent._active_experiment_id = None
    for name in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID"):
        os.environ.pop(name, None)


def _point_client_at(url: str, token: str) -> None:
    os.environ["MLFLOW_TRACKING_TOKEN"] = token
    mlflow.set_tracking_uri(url)  # also sets MLFLOW_TRACKING_URI


@pytest.fixture(scope="module", autouse=True)
def tracking_server(request, tmp_path_factory):
    """A server on a fresh store for this module; the fluent API and MlflowClient() talk to it."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    store = tmp_path_factory.mktemp(f"{name}-store")
    server = start_server(store)
    saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN")}
    _reset_fluent_state()
    _point_client_at(server.url, server.token)
    try:
        yield server
    finally:
        try:
            _reset_fluent_state()
        finally:
            mlflow.set_tracking_uri(None)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            server.stop_and_check()


@pytest.fixture(autouse=True)
def _clean_fluent_state(tracking_server):
    """No active run or active experiment leaks from one test into the next."""
    _reset_fluent_state()
    _point_client_at(tracking_server.url, tracking_server.token)
    yield
    _reset_fluent_state()
    _point_client_at(tracking_server.url, tracking_server.token)


@pytest.fixture
def fresh_server(server_factory, tmp_path):
    """A server on an empty store of its own (for tests that assert on the whole store)."""
    server = server_factory(tmp_path / "fresh-store")
    yield server
    server.stop_and_check()


@pytest.fixture
def client(tracking_server) -> MlflowClient:
    return MlflowClient(tracking_uri=tracking_server.url)


class Api:
    """Raw HTTP against a server with the bearer token (pass auth=False to leave it out)."""

    def __init__(self, server: RunningServer):
        self.server = server
        self.base = server.url
        self.session = requests.Session()

    def headers(self, auth: bool = True, extra: dict | None = None) -> dict:
        headers = {}
        if auth:
            headers["Authorization"] = f"Bearer {self.server.token}"
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, *, auth: bool = True, headers: dict | None = None, **kwargs):
        kwargs.setdefault("timeout", 60)
        return self.session.request(method, self.base + path, headers=self.headers(auth, headers), **kwargs)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs):
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(tracking_server) -> Api:
    api = Api(tracking_server)
    yield api
    api.session.close()


@pytest.fixture
def experiment_id(client, request) -> str:
    """A new experiment for this test, also made the fluent API's active experiment."""
    from runboard_helpers import unique

    exp_id = client.create_experiment(unique(request.node.name[:60]))
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id
