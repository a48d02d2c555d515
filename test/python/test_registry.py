"""The model registry through the real mlflow client: registered models, versions, stages, aliases, tags,
search, and the error codes the client sees. Raw HTTP checks pin the wire shapes the client relies on."""

from __future__ import annotations

import json
import time

import mlflow
import mlflow.sklearn
import numpy as np
import pytest
from mlflow.exceptions import MlflowException
from runboard_helpers import assert_server_alive, error_of, raises_mlflow, unique
from sklearn.linear_model import LinearRegression

X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, -1.0], [3.0, 2.5]])
Y = np.array([1.0, 2.0, 2.5, 7.0])


@pytest.fixture
def run_id(client, experiment_id) -> str:
    return client.create_run(experiment_id).info.run_id


@pytest.fixture
def new_version(client, experiment_id):
    """Registers a version of `name` from a fresh logged model (no files needed for registry calls)."""

    def make(name: str, **kwargs):
        run = client.create_run(experiment_id)
        logged = client.create_logged_model(experiment_id, name="model", source_run_id=run.info.run_id)
        return client.create_model_version(name, f"models:/{logged.model_id}", model_id=logged.model_id, **kwargs)

    return make


def versions_of(items) -> list[str]:
    return [f"{v.name}/{v.version}" for v in items]


# ---------------------------------------------------------------- registered models


def test_create_get_registered_model(client):
    name = unique("create")
    created = client.create_registered_model(name, tags={"team": "ml", "num": 12345, "empty": ""}, description="first")
    assert created.name == name
    fetched = client.get_registered_model(name)
    assert fetched.name == name
    assert fetched.description == "first"
    assert fetched.tags == {"team": "ml", "num": "12345", "empty": ""}
    assert fetched.latest_versions == []
    assert fetched.aliases == {}
    assert fetched.creation_timestamp == fetched.last_updated_timestamp > 0
    plain = client.create_registered_model(unique("plain"))
    assert client.get_registered_model(plain.name).description == ""


def test_duplicate_and_unknown_registered_model(client, api):
    name = unique("dup")
    client.create_registered_model(name)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS", f"Registered Model (name={name}) already exists."):
        client.create_registered_model(name)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", "Registered Model with name=no-such-model not found"):
        client.get_registered_model("no-such-model")
    response = api.post("/api/2.0/mlflow/registered-models/create", json={"name": name})
    assert response.status_code == 400
    assert error_of(response)["error_code"] == "RESOURCE_ALREADY_EXISTS"
    response = api.get("/api/2.0/mlflow/registered-models/get", params={"name": "no-such-model"})
    assert response.status_code == 404
    assert error_of(response) == {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Registered Model with name=no-such-model not found"}
    for bad in ("a/b", "a:b"):
        with raises_mlflow("INVALID_PARAMETER_VALUE", "Names cannot contain"):
            client.create_registered_model(bad)
    assert_server_alive(client)


def test_update_description_and_rename(client, new_version):
    name = unique("old")
    client.create_registered_model(name)
    new_version(name)
    client.set_registered_model_alias(name, "prod", "1")
    before = client.get_registered_model(name)
    time.sleep(0.01)
    updated = client.update_registered_model(name, description="updated text")
    assert updated.description == "updated text"
    assert client.get_registered_model(name).description == "updated text"
    assert client.get_registered_model(name).creation_timestamp == before.creation_timestamp
    assert client.get_registered_model(name).last_updated_timestamp > before.last_updated_timestamp

    new_name = unique("new")
    client.rename_registered_model(name, new_name)
    assert client.get_registered_model(new_name).name == new_name
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", f"Registered Model with name={name} not found"):
        client.get_registered_model(name)
    moved = client.get_model_version(new_name, "1")
    assert moved.name == new_name
    assert moved.aliases == ["prod"]
    assert client.get_model_version_by_alias(new_name, "prod").version == "1"
    assert versions_of(client.search_model_versions(f"name = '{new_name}'")) == [f"{new_name}/1"]
    assert client.search_model_versions(f"name = '{name}'") == []

    taken = unique("taken")
    client.create_registered_model(taken)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS", f"Registered Model (name={taken}) already exists."):
        client.rename_registered_model(new_name, taken)


def test_delete_registered_model(client, new_version):
    name = unique("delete-me")
    client.create_registered_model(name, tags={"t": "v"})
    new_version(name)
    new_version(name)
    client.set_registered_model_alias(name, "a", "2")
    client.delete_registered_model(name)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", "not found"):
        client.get_registered_model(name)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", "not found"):
        client.delete_registered_model(name)
    assert client.search_model_versions(f"name = '{name}'") == []
    again = client.create_registered_model(name)
    assert again.tags == {}
    assert client.get_registered_model(name).aliases == {}
    assert new_version(name).version == "1"


def test_registered_model_tags(client):
    name = unique("tags")
    client.create_registered_model(name)
    client.set_registered_model_tag(name, "stage", "dev")
    client.set_registered_model_tag(name, "stage", "prod")
    client.set_registered_model_tag(name, "empty", "")
    client.set_registered_model_tag(name, "number", 7)
    assert client.get_registered_model(name).tags == {"stage": "prod", "empty": "", "number": "7"}
    client.delete_registered_model_tag(name, "stage")
    client.delete_registered_model_tag(name, "not-there")  # silently ignored, as in MLflow
    assert client.get_registered_model(name).tags == {"empty": "", "number": "7"}
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", "not found"):
        client.set_registered_model_tag(unique("ghost"), "k", "v")


# ---------------------------------------------------------------- versions


def test_register_model_from_runs_uri(client, experiment_id):
    model = LinearRegression().fit(X, Y)
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="model")
    name = unique("from-run")
    first = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    assert (first.name, first.version, first.status) == (name, "1", "READY")
    assert first.source == f"models:/{info.model_id}"
    assert first.run_id == run.info.run_id
    second = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    assert second.version == "2"
    loaded = mlflow.sklearn.load_model(f"models:/{name}/2")
    assert np.array_equal(loaded.predict(X), model.predict(X))


def test_register_model_from_run_artifacts_with_mlmodel(client, experiment_id, tmp_path):
    """A model saved into the run's own artifacts registers with its mlflow-artifacts location."""
    model = LinearRegression().fit(X, Y * 2)
    mlflow.sklearn.save_model(model, str(tmp_path / "packaged"))
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(tmp_path / "packaged"), artifact_path="packaged")
    name = unique("from-artifacts")
    version = mlflow.register_model(f"runs:/{run.info.run_id}/packaged", name)
    assert version.source == f"{run.info.artifact_uri}/packaged"
    assert version.source.startswith("mlflow-artifacts:/")
    assert version.run_id == run.info.run_id
    assert client.get_model_version_download_uri(name, "1") == version.source
    assert np.array_equal(mlflow.pyfunc.load_model(f"models:/{name}/1").predict(X), model.predict(X))


def test_register_model_from_another_version(client, experiment_id):
    model = LinearRegression().fit(X, -Y)
    source_name = unique("source")
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(model, name="model", registered_model_name=source_name)
    copy_name = unique("copy")
    copied = mlflow.register_model(f"models:/{source_name}/1", copy_name)
    assert copied.source == f"models:/{source_name}/1"
    assert copied.run_id == run.info.run_id
    assert client.get_model_version_download_uri(copy_name, "1") == client.get_model_version_download_uri(source_name, "1")
    assert np.array_equal(mlflow.sklearn.load_model(f"models:/{copy_name}/1").predict(X), model.predict(X))


def test_model_version_fields_tags_and_description(client, new_version, run_id):
    name = unique("fields")
    client.create_registered_model(name)
    version = new_version(name, tags={"k": "v", "n": 3}, description="desc")
    assert version.version == "1"
    fetched = client.get_model_version(name, "1")
    assert fetched.description == "desc"
    assert fetched.tags == {"k": "v", "n": "3"}
    assert fetched.status == "READY"
    assert fetched.current_stage == "None"
    assert fetched.aliases == []
    client.update_model_version(name, "1", description="better")
    assert client.get_model_version(name, "1").description == "better"
    client.set_model_version_tag(name, "1", "k", "w")
    client.set_model_version_tag(name, "1", "empty", "")
    client.delete_model_version_tag(name, "1", "n")
    client.delete_model_version_tag(name, "1", "absent")
    assert client.get_model_version(name, "1").tags == {"k": "w", "empty": ""}

    via_run = client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    assert (via_run.version, via_run.run_id, via_run.source) == ("2", run_id, f"runs:/{run_id}/model")
    assert client.get_model_version_download_uri(name, "2") == f"runs:/{run_id}/model"


def test_model_version_source_validation(client, run_id):
    name = unique("sources")
    client.create_registered_model(name)
    for source, run in (
        (f"runs:/{run_id}/model", None),
        ("mlflow-artifacts:/0/someone-else/artifacts/model", run_id),
        ("/etc/passwd", run_id),
        ("mlflow-artifacts:/0/../../../etc", run_id),
        ("http://example.com/api/2.0/mlflow-artifacts/artifacts/x", run_id),
    ):
        with raises_mlflow("INVALID_PARAMETER_VALUE", "source"):
            client.create_model_version(name, source, run_id=run)
    assert client.search_model_versions(f"name = '{name}'") == []


def test_versions_numbering_and_delete(client, new_version):
    name = unique("numbers")
    client.create_registered_model(name)
    assert [new_version(name).version for _ in range(3)] == ["1", "2", "3"]
    model_time = client.get_registered_model(name).last_updated_timestamp
    time.sleep(0.01)
    client.delete_model_version(name, "3")
    assert client.get_registered_model(name).last_updated_timestamp > model_time
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", f"Model Version (name={name}, version=3) not found"):
        client.get_model_version(name, "3")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", "not found"):
        client.delete_model_version(name, "3")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", "not found"):
        client.update_model_version(name, "3", description="x")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", "not found"):
        client.transition_model_version_stage(name, "3", "Production")
    assert new_version(name).version == "4"
    assert sorted(versions_of(client.search_model_versions(f"name = '{name}'"))) == [f"{name}/1", f"{name}/2", f"{name}/4"]
    assert [v.version for v in client.get_registered_model(name).latest_versions] == ["4"]


def test_timestamps_move_as_mlflow_moves_them(client, new_version):
    name = unique("times")
    client.create_registered_model(name)
    created = client.get_registered_model(name).last_updated_timestamp
    time.sleep(0.01)
    version = new_version(name)
    after_create = client.get_registered_model(name).last_updated_timestamp
    assert after_create > created
    time.sleep(0.01)
    client.update_model_version(name, version.version, description="no bump for the model")
    assert client.get_registered_model(name).last_updated_timestamp == after_create
    assert client.get_model_version(name, "1").last_updated_timestamp > version.last_updated_timestamp
    time.sleep(0.01)
    client.transition_model_version_stage(name, "1", "Staging")
    assert client.get_registered_model(name).last_updated_timestamp > after_create


def test_stage_transitions_and_latest_versions(client, new_version):
    name = unique("stages")
    client.create_registered_model(name)
    for _ in range(4):
        new_version(name)
    assert client.transition_model_version_stage(name, "1", "production").current_stage == "Production"
    client.transition_model_version_stage(name, "2", "Production")
    client.transition_model_version_stage(name, "3", "STAGING")

    def stages():
        return {v.version: v.current_stage for v in client.search_model_versions(f"name = '{name}'")}

    assert stages() == {"1": "Production", "2": "Production", "3": "Staging", "4": "None"}
    latest = {v.current_stage: v.version for v in client.get_latest_versions(name)}
    assert latest == {"Production": "2", "Staging": "3", "None": "4"}
    assert [v.version for v in client.get_latest_versions(name, stages=["Production"])] == ["2"]
    assert client.get_latest_versions(name, stages=["Archived"]) == []
    assert {v.current_stage: v.version for v in client.get_registered_model(name).latest_versions} == latest

    moved = client.transition_model_version_stage(name, "4", "Production", archive_existing_versions=True)
    assert moved.current_stage == "Production"
    assert stages() == {"1": "Archived", "2": "Archived", "3": "Staging", "4": "Production"}
    assert {v.current_stage: v.version for v in client.get_latest_versions(name)} == {"Archived": "2", "Staging": "3", "Production": "4"}
    client.transition_model_version_stage(name, "2", "Staging", archive_existing_versions=False)
    assert stages()["3"] == "Staging"

    with raises_mlflow("INVALID_PARAMETER_VALUE", "Invalid Model Version stage: Live"):
        client.transition_model_version_stage(name, "1", "Live")
    with raises_mlflow("INVALID_PARAMETER_VALUE", "cannot archive existing model versions"):
        client.transition_model_version_stage(name, "1", "Archived", archive_existing_versions=True)


def test_aliases(client, new_version):
    name = unique("aliases")
    client.create_registered_model(name)
    new_version(name)
    new_version(name)
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "challenger", 2)
    assert client.get_registered_model(name).aliases == {"champion": "1", "challenger": "2"}
    assert client.get_model_version(name, "1").aliases == ["champion"]
    by_alias = client.get_model_version_by_alias(name, "champion")
    assert (by_alias.version, by_alias.aliases) == ("1", ["champion"])
    client.set_registered_model_alias(name, "champion", "2")
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    assert sorted(client.get_model_version(name, "2").aliases) == ["challenger", "champion"]
    client.delete_registered_model_alias(name, "champion")
    assert client.get_registered_model(name).aliases == {"challenger": "2"}
    with raises_mlflow("INVALID_PARAMETER_VALUE", "Registered model alias champion not found."):
        client.get_model_version_by_alias(name, "champion")
    client.delete_model_version(name, "2")
    assert client.get_registered_model(name).aliases == {}


def test_alias_rules_on_the_server(api, client, new_version):
    name = unique("alias-rules")
    client.create_registered_model(name)
    new_version(name)
    for alias, message in (("latest", "'latest' alias name (case insensitive) is reserved."), ("v1", "Version alias name 'v1' is reserved."), ("no spaces", "Invalid alias name")):
        response = api.post("/api/2.0/mlflow/registered-models/alias", json={"name": name, "alias": alias, "version": "1"})
        assert response.status_code == 400, alias
        assert message in error_of(response)["message"]
    response = api.post("/api/2.0/mlflow/registered-models/alias", json={"name": name, "alias": "good", "version": "5"})
    assert response.status_code == 404
    response = api.get("/api/2.0/mlflow/registered-models/alias", params={"name": name, "alias": "LATEST"})
    assert response.status_code == 200
    assert response.json()["model_version"]["version"] == "1"


# ---------------------------------------------------------------- search


@pytest.fixture(scope="module")
def catalog(tracking_server):
    """Registered models under one prefix, with tags, versions and a prompt the searches must hide."""
    client = mlflow.MlflowClient(tracking_server.url)
    prefix = unique("cat")
    exp_id = client.create_experiment(unique("catalog"))
    names = [f"{prefix}-alpha", f"{prefix}-Beta", f"{prefix}-beta-2", f"{prefix}-gamma"]
    runs = {}
    for i, name in enumerate(names):
        client.create_registered_model(name, tags={"team": "vision" if i % 2 else "nlp"})
        time.sleep(0.005)
        for _ in range(i + 1):
            run = client.create_run(exp_id).info.run_id
            runs.setdefault(name, []).append(run)
            client.create_model_version(name, f"runs:/{run}/model", run_id=run, tags={"quality": "good" if i < 2 else "bad"})
    # A prompt: the client refuses to create one as a model, so straight through the REST API.
    prompt = f"{prefix}-prompt"
    import requests

    response = requests.post(
        f"{tracking_server.url}/api/2.0/mlflow/registered-models/create",
        json={"name": prompt, "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]},
        headers={"Authorization": f"Bearer {tracking_server.token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return prefix, names, runs, prompt


def test_search_registered_models_filters(client, catalog):
    prefix, names, _, prompt = catalog
    alpha, beta, beta2, gamma = names

    def search(filter_string, **kwargs):
        return [m.name for m in client.search_registered_models(filter_string, **kwargs)]

    assert search(f"name LIKE '{prefix}-%'") == sorted(names)
    assert search(f"name = '{alpha}'") == [alpha]
    assert search(f"name ILIKE '{prefix}-beta%'") == [beta, beta2]
    assert search(f"name LIKE '{prefix}-beta%'") == [beta2]
    assert search(f"name LIKE '{prefix}-%' AND tags.team = 'vision'") == [beta, gamma]
    assert search(f"name LIKE '{prefix}-%' AND tag.team != 'vision'") == [alpha, beta2]
    assert prompt not in search(f"name LIKE '{prefix}-%'")
    assert prompt not in [m.name for m in mlflow.search_registered_models()]
    assert [m.name for m in mlflow.search_registered_models(filter_string=f"name = '{alpha}'")] == [alpha]
    model = client.search_registered_models(f"name = '{gamma}'")[0]
    assert [(v.version, v.current_stage) for v in model.latest_versions] == [("4", "None")]


def test_search_registered_models_order_and_pages(client, catalog):
    prefix, names, _, _ = catalog
    in_catalog = f"name LIKE '{prefix}-%'"
    ordered = [m.name for m in client.search_registered_models(in_catalog, order_by=["name DESC"])]
    assert ordered == sorted(names, reverse=True)
    # Versions were created in name order, so last-updated follows the creation order.
    by_time = [m.name for m in client.search_registered_models(in_catalog, order_by=["timestamp DESC"])]
    assert by_time == list(reversed(names))
    assert [m.name for m in client.search_registered_models(in_catalog, order_by=["last_updated_timestamp ASC"])] == names

    for size in (1, 2, 3, 5):
        seen, token, pages = [], None, 0
        while True:
            page = client.search_registered_models(in_catalog, max_results=size, page_token=token)
            assert len(page) <= size
            seen += [m.name for m in page]
            pages += 1
            token = page.token
            if not token:
                break
        assert seen == sorted(names), size
        assert pages == -(-len(names) // size), size
    with raises_mlflow("INVALID_PARAMETER_VALUE", "max_results"):
        client.search_registered_models(max_results=1001)
    with raises_mlflow("INVALID_PARAMETER_VALUE", "duplicate"):
        client.search_registered_models(order_by=["timestamp", "last_updated_timestamp DESC"])


def test_search_model_versions(client, catalog):
    prefix, names, runs, prompt = catalog
    alpha, beta, beta2, gamma = names

    def search(filter_string, **kwargs):
        return versions_of(client.search_model_versions(filter_string, **kwargs))

    # Newest first by default (last updated, then name, then version descending).
    assert search(f"name = '{gamma}'") == [f"{gamma}/4", f"{gamma}/3", f"{gamma}/2", f"{gamma}/1"]
    assert search(f"name='{beta}'") == [f"{beta}/2", f"{beta}/1"]
    assert search(f"run_id = '{runs[beta2][1]}'") == [f"{beta2}/2"]
    assert search(f"run_id IN ('{runs[alpha][0]}', '{runs[gamma][0]}')") == [f"{gamma}/1", f"{alpha}/1"]
    assert search(f"source_path = 'runs:/{runs[beta][0]}/model'") == [f"{beta}/1"]
    assert search(f"name = '{gamma}' AND version_number >= 3") == [f"{gamma}/4", f"{gamma}/3"]
    # Byte-wise name order: 'Beta' sorts before 'alpha'.
    assert search(f"name LIKE '{prefix}-%' AND tags.quality = 'good'", order_by=["name ASC", "version_number ASC"]) == [
        f"{beta}/1",
        f"{beta}/2",
        f"{alpha}/1",
    ]
    assert search(f"name LIKE '{prefix}-%'", order_by=["creation_timestamp ASC"])[:3] == [f"{alpha}/1", f"{beta}/1", f"{beta}/2"]
    assert not any(v.startswith(prompt) for v in search(f"name LIKE '{prefix}-%'"))
    fluent = versions_of(mlflow.search_model_versions(filter_string=f"name = '{beta}'", order_by=["version_number ASC"]))
    assert fluent == [f"{beta}/1", f"{beta}/2"]

    page = client.search_model_versions(f"name = '{gamma}'", max_results=3)
    assert len(page) == 3 and page.token
    rest = client.search_model_versions(f"name = '{gamma}'", max_results=3, page_token=page.token)
    assert versions_of(rest) == [f"{gamma}/1"] and not rest.token

    for bad in ("name = 'a' OR name = 'b'", "version_number = 1.5", "current_stage = 'None'", "name IS NULL"):
        with raises_mlflow("INVALID_PARAMETER_VALUE"):
            client.search_model_versions(bad)
    assert_server_alive(client)


# ---------------------------------------------------------------- errors and wire


def test_error_codes(client, new_version, api):
    name = unique("errors")
    client.create_registered_model(name)
    new_version(name)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", f"Model Version (name={name}, version=9) not found"):
        client.get_model_version(name, "9")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", "Registered Model with name=ghost-model not found"):
        client.get_latest_versions("ghost-model")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", "not found"):
        client.rename_registered_model("ghost-model", unique("x"))
    with raises_mlflow("INVALID_PARAMETER_VALUE", "Registered model alias nobody not found."):
        client.get_model_version_by_alias(name, "nobody")
    with raises_mlflow("RESOURCE_ALREADY_EXISTS"):
        client.create_registered_model(name)
    response = api.get("/api/2.0/mlflow/model-versions/get", params={"name": name, "version": "x"})
    assert response.status_code == 400
    assert error_of(response) == {"error_code": "INVALID_PARAMETER_VALUE", "message": "Parameter 'version' must be an integer, got 'x'."}
    response = api.post("/api/2.0/mlflow/registered-models/get-latest-versions", json={"name": name, "stages": ["Nope"]})
    assert response.status_code == 400
    assert error_of(response)["error_code"] == "INVALID_PARAMETER_VALUE"
    response = api.post("/api/2.0/mlflow/model-versions/create", json={"name": "ghost-model", "source": "s3:/b/m"})
    assert response.status_code == 404
    assert error_of(response)["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    response = api.post("/api/2.0/mlflow/registered-models/create", json={})
    assert response.status_code == 400
    assert error_of(response)["message"] == "Missing value for required parameter 'name'."
    assert_server_alive(client)


def test_wire_shapes(api, client, new_version):
    name = unique("wire")
    client.create_registered_model(name)
    created = new_version(name)
    body = api.get("/api/2.0/mlflow/model-versions/get", params={"name": name, "version": "1"}).json()["model_version"]
    assert body["version"] == "1" and isinstance(body["version"], str)
    assert body["status"] == "READY"
    assert body["current_stage"] == "None"
    assert body["aliases"] == [] and body["tags"] == []
    assert body["model_id"].startswith("m-") and body["source"] == f"models:/{body['model_id']}"
    assert body["run_id"] == created.run_id
    uri = api.get("/api/2.0/mlflow/model-versions/get-download-uri", params={"name": name, "version": "1"}).json()
    assert uri["artifact_uri"].startswith("mlflow-artifacts:/") and uri["artifact_uri"].endswith(f"/models/{body['model_id']}/artifacts")
    logged = client.get_logged_model(body["model_id"])
    assert json.loads(logged.tags["mlflow.modelVersions"]) == [{"name": name, "version": 1}]
    assert logged.tags["mlflow.modelVersions"] == f'[{{"name": "{name}", "version": 1}}]'

    # get-latest-versions answers GET too (the client's fallback), also under /ajax-api.
    for method, path in (("GET", "/api/2.0"), ("POST", "/ajax-api/2.0")):
        kwargs = {"params": {"name": name, "stages": ["None"]}} if method == "GET" else {"json": {"name": name}}
        response = api.request(method, f"{path}/mlflow/registered-models/get-latest-versions", **kwargs)
        assert response.status_code == 200, response.text
        assert [v["version"] for v in response.json()["model_versions"]] == ["1"]
    registered = api.get("/api/2.0/mlflow/registered-models/get", params={"name": name}).json()["registered_model"]
    assert registered["aliases"] == [] and registered["tags"] == []
    assert [v["version"] for v in registered["latest_versions"]] == ["1"]
    assert "description" not in registered
    # Deletes carry JSON bodies.
    response = api.delete("/api/2.0/mlflow/model-versions/delete", json={"name": name, "version": "1"})
    assert response.status_code == 200 and response.json() == {}
    response = api.delete("/api/2.0/mlflow/registered-models/delete", json={"name": name})
    assert response.status_code == 200
    assert api.get("/api/2.0/mlflow/registered-models/get", params={"name": name}).status_code == 404
    response = api.get("/api/2.0/mlflow/registered-models/search", params={"filter": "name = 'x' OR 1=1"})
    assert response.status_code == 400
    assert error_of(response)["error_code"] == "INVALID_PARAMETER_VALUE"


def test_prompt_models_are_not_models(client, catalog):
    _, _, _, prompt = catalog
    assert prompt not in [m.name for m in client.search_registered_models(max_results=1000)]
    with pytest.raises(MlflowException):
        client.get_registered_model(prompt)  # the client refuses prompts on its model APIs
