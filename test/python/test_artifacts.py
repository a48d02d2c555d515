"""Run artifacts through the proxied mlflow-artifacts routes: upload, list, download."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import mlflow
import mlflow.artifacts
import pytest
from runboard_helpers import assert_server_alive

STATE = {"weights": [0.1, 0.2, 0.3], "epoch": 7, "name": "model", "nested": {"a": (1, 2), "b": None}}


def listing(client, run_id, path=None):
    return [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, path)]


@pytest.fixture
def source_tree(tmp_path) -> Path:
    """A local directory with a subdirectory, a binary file and a name with a space."""
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("alpha\n")
    (root / "sub" / "b.csv").write_text("x,y\n1,2\n3,4\n")
    (root / "sub" / "all bytes.bin").write_bytes(bytes(range(256)) * 4)
    return root


@pytest.fixture
def logged_run(client, experiment_id, tmp_path, source_tree):
    pickle_path = tmp_path / "state.pkl"
    with open(pickle_path, "wb") as f:
        pickle.dump(STATE, f)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(pickle_path))  # root
        mlflow.log_artifact(str(pickle_path), artifact_path="pickles")
        mlflow.log_artifacts(str(source_tree), artifact_path="data")
        mlflow.log_text("hello runboard\n", "notes/readme.txt")
        mlflow.log_dict({"lr": 0.01, "layers": [64, 32], "name": "net"}, "config.json")
    return run.info.run_id, pickle_path


def test_list_artifacts_root_and_subdirs(client, logged_run, source_tree):
    run_id, pickle_path = logged_run
    size = pickle_path.stat().st_size
    config_size = len(json.dumps({"lr": 0.01, "layers": [64, 32], "name": "net"}, indent=2).encode())
    assert listing(client, run_id) == [
        ("config.json", False, config_size),
        ("data", True, None),
        ("notes", True, None),
        ("pickles", True, None),
        ("state.pkl", False, size),
    ]
    assert listing(client, run_id, "data") == [
        ("data/a.txt", False, 6),
        ("data/sub", True, None),
    ]
    assert listing(client, run_id, "data/sub") == [
        ("data/sub/all bytes.bin", False, 1024),
        ("data/sub/b.csv", False, len("x,y\n1,2\n3,4\n")),
    ]
    assert listing(client, run_id, "pickles") == [("pickles/state.pkl", False, size)]
    assert listing(client, run_id, "notes") == [("notes/readme.txt", False, len("hello runboard\n"))]
    # A directory that does not exist lists as empty, not as an error.
    assert listing(client, run_id, "no-such-dir") == []
    # Listing a file path gives nothing (the client's convention).
    assert listing(client, run_id, "state.pkl") == []


def test_download_round_trips_bytes(client, logged_run, source_tree, tmp_path):
    run_id, pickle_path = logged_run
    dst = tmp_path / "dl1"
    dst.mkdir()
    local = client.download_artifacts(run_id, "state.pkl", str(dst))
    assert Path(local).read_bytes() == pickle_path.read_bytes()
    with open(local, "rb") as f:
        assert pickle.load(f) == STATE

    dst = tmp_path / "dl2"
    dst.mkdir()
    local = client.download_artifacts(run_id, "pickles/state.pkl", str(dst))
    assert Path(local).read_bytes() == pickle_path.read_bytes()

    # A whole directory, recursively.
    dst = tmp_path / "dl3"
    dst.mkdir()
    local_dir = Path(client.download_artifacts(run_id, "data", str(dst)))
    assert sorted(str(p.relative_to(local_dir)) for p in local_dir.rglob("*") if p.is_file()) == [
        "a.txt",
        os.path.join("sub", "all bytes.bin"),
        os.path.join("sub", "b.csv"),
    ]
    for rel in ("a.txt", "sub/b.csv", "sub/all bytes.bin"):
        assert (local_dir / rel).read_bytes() == (source_tree / rel).read_bytes(), rel


def test_download_whole_run(client, logged_run, tmp_path):
    run_id, _ = logged_run
    dst = tmp_path / "all"
    dst.mkdir()
    root = Path(client.download_artifacts(run_id, "", str(dst)))
    files = sorted(str(p.relative_to(root)).replace(os.sep, "/") for p in root.rglob("*") if p.is_file())
    assert files == [
        "config.json",
        "data/a.txt",
        "data/sub/all bytes.bin",
        "data/sub/b.csv",
        "notes/readme.txt",
        "pickles/state.pkl",
        "state.pkl",
    ]
    assert json.loads((root / "config.json").read_text()) == {"lr": 0.01, "layers": [64, 32], "name": "net"}
    assert (root / "notes" / "readme.txt").read_text() == "hello runboard\n"


def test_mlflow_artifacts_download_and_load_helpers(logged_run, source_tree, tmp_path):
    run_id, pickle_path = logged_run
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="data/sub/b.csv", dst_path=str(tmp_path))
    assert Path(local).read_bytes() == (source_tree / "sub" / "b.csv").read_bytes()
    local = mlflow.artifacts.download_artifacts(artifact_uri=f"runs:/{run_id}/state.pkl", dst_path=str(tmp_path / "u"))
    assert Path(local).read_bytes() == pickle_path.read_bytes()
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/notes/readme.txt") == "hello runboard\n"
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/config.json") == {"lr": 0.01, "layers": [64, 32], "name": "net"}
    run = mlflow.get_run(run_id)
    local = mlflow.artifacts.download_artifacts(artifact_uri=run.info.artifact_uri + "/data/a.txt", dst_path=str(tmp_path / "v"))
    assert Path(local).read_text() == "alpha\n"
    listed = mlflow.artifacts.list_artifacts(run_id=run_id, artifact_path="data")
    assert [(f.path, f.is_dir) for f in listed] == [("data/a.txt", False), ("data/sub", True)]


def test_large_binary_artifact(client, experiment_id, tmp_path):
    payload = os.urandom(3 * 1024 * 1024 + 17)
    src = tmp_path / "big.bin"
    src.write_bytes(payload)
    run_id = client.create_run(experiment_id).info.run_id
    client.log_artifact(run_id, str(src), artifact_path="blobs")
    assert listing(client, run_id, "blobs") == [("blobs/big.bin", False, len(payload))]
    dst = tmp_path / "out"
    dst.mkdir()
    local = client.download_artifacts(run_id, "blobs/big.bin", str(dst))
    assert Path(local).read_bytes() == payload


def test_overwrite_artifact(client, experiment_id, tmp_path):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_text(run_id, "first version", "doc.txt")
    client.log_text(run_id, "second", "doc.txt")
    assert listing(client, run_id) == [("doc.txt", False, len("second"))]
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/doc.txt") == "second"


def test_artifacts_are_per_run(client, experiment_id):
    a = client.create_run(experiment_id).info.run_id
    b = client.create_run(experiment_id).info.run_id
    client.log_text(a, "A", "only-a.txt")
    assert listing(client, a) == [("only-a.txt", False, 1)]
    assert listing(client, b) == []


def test_download_missing_artifact_fails_cleanly(client, experiment_id, tmp_path):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_text(run_id, "x", "present.txt")
    with pytest.raises(Exception):
        client.download_artifacts(run_id, "absent.txt", str(tmp_path))
    assert_server_alive(client)
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/present.txt") == "x"


def test_log_figure_and_image(client, experiment_id):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [2, 1, 3])
    run_id = client.create_run(experiment_id).info.run_id
    client.log_figure(run_id, fig, "plots/line.png")
    plt.close(fig)
    client.log_image(run_id, (np.arange(48).reshape(4, 4, 3) * 5).astype(np.uint8), "images/tiny.png")
    entries = listing(client, run_id, "plots")
    assert [(p, d) for p, d, _ in entries] == [("plots/line.png", False)]
    assert entries[0][2] > 100
    data = client.download_artifacts(run_id, "images/tiny.png")
    assert Path(data).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
