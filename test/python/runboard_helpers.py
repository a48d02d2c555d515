"""Small helpers shared by the integration tests."""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException


def unique(prefix: str = "x") -> str:
    """A name no other test uses (experiment names are unique across active and deleted)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in prefix)
    return f"{safe}-{uuid.uuid4().hex[:10]}"


def now_ms() -> int:
    return int(time.time() * 1000)


@contextmanager
def raises_mlflow(error_code: str, match: str | None = None):
    """Expect an MlflowException carrying `error_code` (and optionally a message substring)."""
    with pytest.raises(MlflowException) as info:
        yield info
    exc = info.value
    assert exc.error_code == error_code, f"expected {error_code}, got {exc.error_code}: {exc.message}"
    if match is not None:
        assert match in exc.message, f"{match!r} not in {exc.message!r}"


def assert_server_alive(client: MlflowClient) -> None:
    """A call right after an error still works (the server did not crash or wedge)."""
    default = client.get_experiment("0")
    assert default.name == "Default"


def ids(runs) -> list[str]:
    """Run ids of a list of Run objects, in order."""
    return [r.info.run_id for r in runs]


def error_of(response) -> dict:
    """The JSON error body of a failed response (asserts it is MLflow's shape)."""
    assert response.headers.get("Content-Type", "").startswith("application/json"), (
        response.status_code,
        response.headers.get("Content-Type"),
        response.text[:500],
    )
    body = response.json()
    assert isinstance(body, dict) and "error_code" in body and "message" in body, body
    return body


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextmanager
def mlflow_warnings():
    """Collect WARNING+ messages of the 'mlflow' logger (it does not propagate to the root logger)."""
    handler = _Collect()
    logger = logging.getLogger("mlflow")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
