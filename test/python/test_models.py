"""Models end to end with the real client: log_model, registration, models:/ URIs, loading and inference.

Two registered versions hold two different models, so loading the wrong version (or a wrong file) shows up
as different predictions: every load must predict exactly (np.array_equal) what its own model predicts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
import mlflow.artifacts
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from runboard_helpers import unique
from sklearn.linear_model import LinearRegression, Ridge

FEATURES = ["x1", "x2", "x3"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(rng.normal(size=(40, 3)), columns=FEATURES)


@pytest.fixture(scope="module")
def models(data):
    """Two regressors whose predictions differ everywhere."""
    y = data["x1"] * 3.0 - data["x2"] * 2.0 + data["x3"] * 0.5 + 1.0
    first = LinearRegression().fit(data, y)
    second = Ridge(alpha=25.0).fit(data, y + 4.0)
    assert not np.isclose(first.predict(data), second.predict(data)).any()
    return first, second


@pytest.fixture(scope="module")
def registered(models, data, tracking_server):
    """Model M with version 1 (first) and 2 (second), each logged by log_model(registered_model_name=M)."""
    name = unique("regressor")
    client = mlflow.MlflowClient(tracking_server.url)
    exp_id = client.create_experiment(unique("models"))
    infos = []
    for model in models:
        with mlflow.start_run(experiment_id=exp_id) as run:
            info = mlflow.sklearn.log_model(model, name="model", registered_model_name=name, input_example=data.head(3))
        infos.append((run.info.run_id, info))
    return name, infos


def test_log_model_then_load_by_runs_uri(models, data, experiment_id):
    first, _ = models
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(first, name="model")
    assert info.model_uri == f"models:/{info.model_id}"
    loaded = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    assert type(loaded) is LinearRegression
    assert np.array_equal(loaded.predict(data), first.predict(data))
    pyfunc = mlflow.pyfunc.load_model(info.model_uri)
    assert np.array_equal(pyfunc.predict(data), first.predict(data))


def test_log_model_with_registered_name_creates_versions_1_and_2(registered, client):
    name, infos = registered
    versions = sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version))
    assert [v.version for v in versions] == ["1", "2"]
    for version, (run_id, info) in zip(versions, infos):
        assert version.status == "READY"
        assert version.current_stage == "None"
        assert version.run_id == run_id
        assert version.source == f"models:/{info.model_id}"
        uri = client.get_model_version_download_uri(name, version.version)
        assert uri == client.get_logged_model(info.model_id).artifact_location
        assert uri.startswith("mlflow-artifacts:/") and uri.endswith(f"/models/{info.model_id}/artifacts")
        # The server's entry (integer version) and the client's own (string version) on the logged model.
        listed = json.loads(client.get_logged_model(info.model_id).tags["mlflow.modelVersions"])
        assert {"name": name, "version": int(version.version)} in listed
    model = client.get_registered_model(name)
    assert [(v.version, v.current_stage) for v in model.latest_versions] == [("2", "None")]


def test_models_uris_load_and_predict_exactly(registered, models, data, client):
    name, _ = registered
    first, second = models
    expected = {1: first.predict(data), 2: second.predict(data)}

    loaded = mlflow.sklearn.load_model(f"models:/{name}/1")
    assert np.array_equal(loaded.predict(data), expected[1])
    assert np.array_equal(mlflow.sklearn.load_model(f"models:/{name}/2").predict(data), expected[2])
    assert np.array_equal(mlflow.pyfunc.load_model(f"models:/{name}/latest").predict(data), expected[2])

    client.transition_model_version_stage(name, "1", "Staging")
    assert np.array_equal(mlflow.sklearn.load_model(f"models:/{name}/Staging").predict(data), expected[1])
    assert np.array_equal(mlflow.pyfunc.load_model(f"models:/{name}/staging").predict(data), expected[1])

    client.set_registered_model_alias(name, "champion", "1")
    assert np.array_equal(mlflow.sklearn.load_model(f"models:/{name}@champion").predict(data), expected[1])
    client.set_registered_model_alias(name, "champion", "2")
    assert np.array_equal(mlflow.sklearn.load_model(f"models:/{name}@champion").predict(data), expected[2])

    frame = pd.DataFrame(data.to_dict(orient="list"))
    for uri, version in ((f"models:/{name}/1", 1), (f"models:/{name}@champion", 2), (f"models:/{name}/Staging", 1)):
        predicted = mlflow.pyfunc.load_model(uri).predict(frame)
        assert np.array_equal(np.asarray(predicted), expected[version]), uri


def test_missing_stage_and_unknown_uris_fail(registered):
    name, _ = registered
    with pytest.raises(mlflow.exceptions.MlflowException, match="No versions of model with name"):
        mlflow.pyfunc.load_model(f"models:/{name}/Production")
    with pytest.raises(mlflow.exceptions.MlflowException) as info:
        mlflow.pyfunc.load_model(f"models:/{name}/9")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(mlflow.exceptions.MlflowException) as info:
        mlflow.pyfunc.load_model(f"models:/{name}@nobody")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_registered_model_files_download(registered, tmp_path):
    """models:/M/1 downloads exactly the files of version 1's logged model, byte for byte."""
    name, infos = registered
    target = Path(mlflow.artifacts.download_artifacts(f"models:/{name}/1", dst_path=str(tmp_path / "registered")))
    direct = Path(mlflow.artifacts.download_artifacts(f"models:/{infos[0][1].model_id}", dst_path=str(tmp_path / "logged")))
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert "MLmodel" in files and "input_example.json" in files
    assert files == sorted(p.relative_to(direct).as_posix() for p in direct.rglob("*") if p.is_file())
    for file in files:
        assert (target / file).read_bytes() == (direct / file).read_bytes(), file
    assert infos[0][1].model_id in (target / "MLmodel").read_text()


def test_mlflow_models_predict_cli(registered, models, data, tracking_server, tmp_path):
    name, _ = registered
    first, _ = models
    source = tmp_path / "input.csv"
    data.to_csv(source, index=False)
    out = tmp_path / "out.json"
    env = dict(os.environ, MLFLOW_TRACKING_URI=tracking_server.url, MLFLOW_TRACKING_TOKEN=tracking_server.token)
    executable = shutil.which("mlflow", path=str(Path(sys.executable).parent))
    assert executable, "the venv's mlflow executable is missing"
    result = subprocess.run(
        [executable, "models", "predict", "-m", f"models:/{name}/1", "-i", str(source), "-o", str(out), "-t", "csv", "--env-manager", "local"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    predictions = json.loads(out.read_text())["predictions"]
    assert len(predictions) == len(data)
    assert np.array_equal(np.asarray(predictions, dtype=float), first.predict(pd.read_csv(source)))
    assert np.array_equal(np.asarray(predictions, dtype=float), first.predict(data))
