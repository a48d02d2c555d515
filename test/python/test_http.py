"""Raw HTTP checks: routes, validation messages, auth, Host/Origin protection, size cap, paths, paging."""

from __future__ import annotations

import json
import signal
import subprocess

import mlflow
import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import Metric
from packaging.version import Version
from runboard_helpers import error_of, unique

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


def new_run(api, exp_id="0") -> str:
    response = api.post(f"{API}/runs/create", json={"experiment_id": exp_id, "start_time": 1_700_000_000_000})
    assert response.status_code == 200, response.text
    return response.json()["run"]["info"]["run_id"]


# --- basic routes -----------------------------------------------------------------------------


def test_health_needs_no_token(api):
    response = api.get("/health", auth=False)
    assert response.status_code == 200
    assert response.text == "OK"


def test_version(api):
    response = api.get("/version")
    assert response.status_code == 200
    Version(response.text.strip())  # parses as a PEP 440 version


def test_unknown_routes_are_404(api):
    for path in (f"{API}/no-such-endpoint", "/api/2.0/nothing", "/definitely/not/here", f"{API}/runs/get/extra"):
        response = api.get(path)
        assert response.status_code == 404, (path, response.status_code, response.text)


def test_ajax_api_prefix_serves_the_same_api(api):
    response = api.get("/ajax-api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
    assert response.status_code == 200, response.text
    assert response.json()["experiment"]["name"] == "Default"
    name = unique("ajax")
    created = api.post("/ajax-api/2.0/mlflow/experiments/create", json={"name": name})
    assert created.status_code == 200, created.text
    exp_id = created.json()["experiment_id"]
    got = api.get(f"{API}/experiments/get-by-name", params={"experiment_name": name})
    assert got.status_code == 200
    assert got.json()["experiment"]["experiment_id"] == exp_id
    searched = api.post("/ajax-api/2.0/mlflow/runs/search", json={"experiment_ids": [exp_id]})
    assert searched.status_code == 200
    assert searched.json().get("runs", []) == []


def test_json_response_shapes(api):
    run_id = new_run(api)
    response = api.get(f"{API}/runs/get", params={"run_id": run_id})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    info = response.json()["run"]["info"]
    assert info["run_id"] == run_id
    assert info["run_uuid"] == run_id
    assert info["status"] == "RUNNING"  # always emitted (an omitted enum decodes as RUNNING anyway)
    assert info["lifecycle_stage"] == "active"
    assert info["start_time"] == 1_700_000_000_000
    assert isinstance(info["start_time"], int)
    # run_uuid alone is accepted on run-scoped requests
    response = api.get(f"{API}/runs/get", params={"run_uuid": run_id})
    assert response.status_code == 200 and response.json()["run"]["info"]["run_id"] == run_id
    tag = api.post(f"{API}/runs/set-tag", json={"run_uuid": run_id, "key": "k", "value": "v"})
    assert tag.status_code == 200, tag.text
    assert tag.json() == {}


def test_non_finite_metric_values_on_the_wire(api):
    run_id = new_run(api)
    body = {
        "run_id": run_id,
        "metrics": [
            {"key": "nan", "value": "NaN", "timestamp": 1, "step": 0},
            {"key": "pinf", "value": "Infinity", "timestamp": 1, "step": 0},
            {"key": "ninf", "value": "-Infinity", "timestamp": 1},
        ],
    }
    assert api.post(f"{API}/runs/log-batch", json=body).status_code == 200
    metrics = {m["key"]: m for m in api.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["data"]["metrics"]}
    assert metrics["nan"]["value"] == "NaN"
    assert metrics["pinf"]["value"] in ("Infinity", 1.7976931348623157e308)
    assert metrics["ninf"]["value"] in ("-Infinity", -1.7976931348623157e308)
    assert metrics["ninf"]["step"] == 0


# --- request validation -------------------------------------------------------------------------


def test_create_experiment_validation(api):
    response = api.post(f"{API}/experiments/create", json={"name": 123})
    assert response.status_code == 400
    body = error_of(response)
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "Invalid value 123 for parameter 'name'" in body["message"]

    response = api.post(f"{API}/experiments/create", json={})
    assert response.status_code == 400
    body = error_of(response)
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "Missing value for required parameter 'name'" in body["message"]

    # An empty body is {}.
    response = api.post(f"{API}/experiments/create", data=b"", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "Missing value for required parameter 'name'" in error_of(response)["message"]

    response = api.post(f"{API}/experiments/create", json={"name": unique("e"), "artifact_location": 9.5})
    assert response.status_code == 400
    assert "Invalid value 9.5 for parameter 'artifact_location'" in error_of(response)["message"]

    response = api.post(f"{API}/experiments/create", json={"name": unique("e"), "tags": "5"})
    assert response.status_code == 400
    assert error_of(response)["error_code"] == "INVALID_PARAMETER_VALUE"

    response = api.post(f"{API}/experiments/create", json={"name": ""})
    assert response.status_code == 400
    assert error_of(response)["error_code"] == "INVALID_PARAMETER_VALUE"

    response = api.post(
        f"{API}/experiments/create", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    error_of(response)

    # Unknown fields are ignored.
    name = unique("extra")
    response = api.post(f"{API}/experiments/create", json={"name": name, "future_field": {"x": 1}})
    assert response.status_code == 200, response.text


def test_log_batch_validation(api):
    run_id = new_run(api)
    for field in ("metrics", "params", "tags"):
        response = api.post(f"{API}/runs/log-batch", json={"run_id": run_id, field: "foo"})
        assert response.status_code == 400, (field, response.text)
        body = error_of(response)
        assert body["error_code"] == "INVALID_PARAMETER_VALUE"
        assert "Invalid value" in body["message"] and f"'{field}'" in body["message"], body

    response = api.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": [{"key": "m", "value": 1.0}]})
    assert response.status_code == 400
    assert "Missing value for required parameter 'metrics[0].timestamp'" in error_of(response)["message"]

    # step is optional
    response = api.post(
        f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": [{"key": "m", "value": 1.0, "timestamp": 5}]}
    )
    assert response.status_code == 200, response.text
    history = api.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "m"}).json()["metrics"]
    assert [(h["value"], h["timestamp"], h["step"]) for h in history] == [(1.0, 5, 0)]

    too_many = [{"key": f"p{i}", "value": "v"} for i in range(101)]
    response = api.post(f"{API}/runs/log-batch", json={"run_id": run_id, "params": too_many})
    assert response.status_code == 400
    assert error_of(response)["error_code"] == "INVALID_PARAMETER_VALUE"

    response = api.post(f"{API}/runs/log-batch", json={"metrics": []})
    assert response.status_code == 400
    assert "Missing value for required parameter 'run_id'" in error_of(response)["message"]


def test_log_metric_validation(api):
    run_id = new_run(api)
    cases = [
        ({"run_id": 123, "key": "m", "value": 1, "timestamp": 1}, "Invalid value 123 for parameter 'run_id'"),
        ({"run_id": run_id, "key": 5, "value": 1, "timestamp": 1}, "Invalid value 5 for parameter 'key'"),
        ({"run_id": run_id, "key": "m", "value": 1, "timestamp": 1, "step": "foo"}, "'step'"),
        ({"run_id": run_id, "key": "m", "value": 1, "timestamp": "foo"}, "'timestamp'"),
        ({"run_id": run_id, "key": "m", "value": 1}, "Missing value for required parameter 'timestamp'"),
        ({"key": "m", "value": 1, "timestamp": 1}, "Missing value for required parameter 'run_id'"),
        ({"run_id": run_id, "value": 1, "timestamp": 1}, "Missing value for required parameter 'key'"),
        ({"run_id": run_id, "key": "m", "timestamp": 1}, "Missing value for required parameter 'value'"),
    ]
    for body, message in cases:
        response = api.post(f"{API}/runs/log-metric", json=body)
        assert response.status_code == 400, (body, response.text)
        error = error_of(response)
        assert error["error_code"] == "INVALID_PARAMETER_VALUE", (body, error)
        assert message in error["message"], (body, error)


def test_set_tag_and_log_param_validation(api):
    run_id = new_run(api)
    response = api.post(f"{API}/runs/set-tag", json={"run_id": run_id, "key": "k", "value": 41})
    assert response.status_code == 400
    assert "Invalid value 41 for parameter 'value'" in error_of(response)["message"]
    response = api.post(f"{API}/runs/set-tag", json={"run_id": run_id, "value": "v"})
    assert response.status_code == 400
    assert "Missing value for required parameter 'key'" in error_of(response)["message"]
    response = api.post(f"{API}/runs/log-parameter", json={"run_id": 31, "key": "k", "value": "v"})
    assert response.status_code == 400
    assert "Invalid value 31 for parameter 'run_id'" in error_of(response)["message"]
    response = api.post(f"{API}/runs/log-parameter", json={"run_id": run_id, "key": 7, "value": "v"})
    assert response.status_code == 400
    assert error_of(response)["error_code"] == "INVALID_PARAMETER_VALUE"


def test_search_runs_max_results_cap(api):
    response = api.post(f"{API}/runs/search", json={"experiment_ids": ["0"], "max_results": 123456789})
    assert response.status_code == 400
    assert "Invalid value 123456789 for parameter 'max_results' supplied" in error_of(response)["message"]


def test_errors_use_reference_status_codes(api):
    response = api.get(f"{API}/runs/get", params={"run_id": "0123456789abcdef0123456789abcdef"})
    assert response.status_code == 404
    assert error_of(response)["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    response = api.get(f"{API}/experiments/get-by-name", params={"experiment_name": unique("none")})
    assert response.status_code == 404
    assert error_of(response)["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    name = unique("twice")
    assert api.post(f"{API}/experiments/create", json={"name": name}).status_code == 200
    response = api.post(f"{API}/experiments/create", json={"name": name})
    assert response.status_code == 400
    assert error_of(response)["error_code"] == "RESOURCE_ALREADY_EXISTS"


# --- auth, Host and Origin ----------------------------------------------------------------------


def test_token_required(api):
    for method, path, kwargs in [
        ("GET", f"{API}/experiments/get", {"params": {"experiment_id": "0"}}),
        ("POST", f"{API}/experiments/create", {"json": {"name": unique("noauth")}}),
        ("GET", ARTIFACTS, {"params": {"path": "0"}}),
        ("PUT", f"{ARTIFACTS}/0/sneaky.txt", {"data": b"x"}),
        ("GET", "/version", {}),
    ]:
        response = api.request(method, path, auth=False, **kwargs)
        assert response.status_code == 401, (method, path, response.status_code, response.text)
        assert error_of(response)["error_code"] == "UNAUTHENTICATED"
        wrong = api.request(method, path, auth=False, headers={"Authorization": "Bearer not-the-token"}, **kwargs)
        assert wrong.status_code == 401, (method, path, wrong.status_code)
        assert error_of(wrong)["error_code"] == "UNAUTHENTICATED"
    basic = api.get(
        f"{API}/experiments/get",
        params={"experiment_id": "0"},
        auth=False,
        headers={"Authorization": "Basic dXNlcjpwYXNz"},
    )
    assert basic.status_code == 401
    # Nothing was written by the rejected requests.
    listing = api.get(ARTIFACTS, params={"path": "0"}).json()
    assert "sneaky.txt" not in [f["path"] for f in listing.get("files", [])]
    assert api.get(f"{API}/experiments/get", params={"experiment_id": "0"}).status_code == 200


def test_wrong_host_header_forbidden(api, tracking_server):
    for host in (f"evil.example:{tracking_server.port}", "evil.example", f"127.0.0.1.evil.example:{tracking_server.port}"):
        response = api.get(f"{API}/experiments/get", params={"experiment_id": "0"}, headers={"Host": host})
        assert response.status_code == 403, (host, response.status_code, response.text)
    # The real host works (requests sends 127.0.0.1:PORT).
    assert api.get(f"{API}/experiments/get", params={"experiment_id": "0"}).status_code == 200


def test_cross_origin_requests_forbidden(api, tracking_server):
    name = unique("csrf")
    evil = {"Origin": "http://evil.example"}
    response = api.get(f"{API}/experiments/get", params={"experiment_id": "0"}, headers=evil)
    assert response.status_code == 403, response.text
    # A "simple" cross-site POST (text/plain, no preflight) must not create anything.
    response = api.post(
        f"{API}/experiments/create",
        data=json.dumps({"name": name}),
        headers={**evil, "Content-Type": "text/plain"},
    )
    assert response.status_code == 403, response.text
    response = api.post(f"{API}/experiments/create", json={"name": name}, headers=evil)
    assert response.status_code == 403, response.text
    assert api.get(f"{API}/experiments/get-by-name", params={"experiment_name": name}).status_code == 404
    # Even without credentials the CORS preflight does not invite the other origin in.
    preflight = api.request(
        "OPTIONS",
        f"{API}/experiments/create",
        auth=False,
        headers={**evil, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers.get("Access-Control-Allow-Origin") not in ("*", "http://evil.example")
    # The server's own origin is fine.
    same = api.get(
        f"{API}/experiments/get", params={"experiment_id": "0"}, headers={"Origin": tracking_server.url}
    )
    assert same.status_code == 200, same.text


# --- size cap -----------------------------------------------------------------------------------


def test_oversized_body_rejected_and_server_survives(api):
    run_id = new_run(api)
    big_value = "x" * (20 * 1024 * 1024)
    body = json.dumps({"run_id": run_id, "tags": [{"key": "huge", "value": big_value}]}).encode()
    assert len(body) > 20 * 1024 * 1024
    response = api.post(f"{API}/runs/log-batch", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text[:500]
    assert "error_code" in error_of(response)
    # Still alive and nothing was stored.
    assert api.get("/health", auth=False).text == "OK"
    run = api.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
    assert "huge" not in [t["key"] for t in run["data"].get("tags", [])]
    assert api.post(f"{API}/runs/set-tag", json={"run_id": run_id, "key": "after", "value": "1"}).status_code == 200


def test_large_artifact_upload_not_capped(api):
    """Artifact PUTs carry model files: the JSON body cap must not apply to them."""
    payload = bytes(range(256)) * (24 * 4096)  # 24 MiB
    response = api.put(f"{ARTIFACTS}/0/big/blob.bin", data=payload, headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 200, response.text[:500]
    listing = api.get(ARTIFACTS, params={"path": "0/big"}).json()
    assert listing == {"files": [{"path": "blob.bin", "is_dir": False, "file_size": len(payload)}]}
    download = api.get(f"{ARTIFACTS}/0/big/blob.bin")
    assert download.status_code == 200
    assert download.content == payload


# --- artifacts over HTTP ------------------------------------------------------------------------


def test_artifact_put_get_list(api):
    root = f"0/{unique('raw')}"
    assert api.put(f"{ARTIFACTS}/{root}/a.txt", data=b"1").status_code == 200
    assert api.put(f"{ARTIFACTS}/{root}/dir/b.txt", data=b"22").status_code == 200
    listing = api.get(ARTIFACTS, params={"path": root})
    assert listing.status_code == 200
    assert listing.json() == {
        "files": [{"path": "a.txt", "is_dir": False, "file_size": 1}, {"path": "dir", "is_dir": True}]
    }
    assert api.get(ARTIFACTS, params={"path": f"{root}/dir"}).json() == {
        "files": [{"path": "b.txt", "is_dir": False, "file_size": 2}]
    }
    missing = api.get(ARTIFACTS, params={"path": f"{root}/nope"})
    assert missing.status_code == 200
    assert missing.json().get("files", []) == []
    got = api.get(f"{ARTIFACTS}/{root}/dir/b.txt")
    assert got.status_code == 200 and got.content == b"22"
    absent = api.get(f"{ARTIFACTS}/{root}/absent.txt")
    assert absent.status_code == 404


@pytest.mark.parametrize(
    "method, path, params",
    [
        ("GET", f"{ARTIFACTS}/..%2f..%2fetc/passwd", None),
        ("GET", f"{ARTIFACTS}/0/..%2f..%2f..%2fetc/passwd", None),
        ("GET", f"{ARTIFACTS}/%2fetc/passwd", None),
        ("PUT", f"{ARTIFACTS}/0/..%2f..%2fescape.txt", None),
        ("GET", ARTIFACTS, {"path": "../../etc"}),
        ("GET", ARTIFACTS, {"path": "/etc"}),
        ("GET", ARTIFACTS, {"path": "0/a\\..\\..\\b"}),
    ],
)
def test_artifact_path_traversal_rejected(api, method, path, params):
    response = api.request(method, path, params=params, data=b"x" if method == "PUT" else None)
    assert response.status_code == 400, (path, params, response.status_code, response.text[:300])
    body = error_of(response)
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "Invalid path" in body["message"]
    assert api.get("/health", auth=False).text == "OK"


# --- metric history paging and sampling -----------------------------------------------------------


def test_get_history_paging(api, client):
    run_id = new_run(api)
    client.log_batch(run_id, metrics=[Metric("m", i * 1.5, 1000 + i, i) for i in range(10)])
    url = f"{API}/metrics/get-history"
    pages = []
    token = None
    for _ in range(5):
        params = {"run_id": run_id, "metric_key": "m", "max_results": 4}
        if token:
            params["page_token"] = token
        response = api.get(url, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([(m["step"], m["value"], m["timestamp"]) for m in body["metrics"]])
        token = body.get("next_page_token")
        if not token:
            break
    assert [len(p) for p in pages] == [4, 4, 2]
    assert [s for page in pages for s, _, _ in page] == list(range(10))
    assert [v for page in pages for _, v, _ in page] == [i * 1.5 for i in range(10)]
    assert all(isinstance(t, int) for page in pages for _, _, t in page)

    unlimited = api.get(url, params={"run_id": run_id, "metric_key": "m"}).json()
    assert len(unlimited["metrics"]) == 10 and not unlimited.get("next_page_token")
    assert api.get(url, params={"run_id": run_id, "metric_key": "none"}).json().get("metrics", []) == []

    bad = api.get(url, params={"run_id": run_id, "metric_key": "m", "max_results": 4, "page_token": "not-a-token"})
    assert bad.status_code == 400
    assert error_of(bad)["error_code"] == "INVALID_PARAMETER_VALUE"


def test_get_history_bulk_interval_sampling(api, client):
    """The UI's sampled history, as mlflow 3.18's SQL store samples it.

    Each run is sampled on its own: its rows (in the step range), ordered by step, timestamp, value,
    split into max_results NTILE buckets; the first row of each bucket is kept and the run's last row
    replaces the final sample. (Reference section 11.3 #27 -- 0,2,4,6,8,9 -- describes the pre-3.12
    step-union algorithm; mlflow 3.18 returns 0,2,4,6,9 for the same data.)
    """
    run_a = new_run(api)
    run_b = new_run(api)
    client.log_batch(run_a, metrics=[Metric("loss", float(i), 1000 + i, i) for i in range(10)])
    client.log_batch(run_b, metrics=[Metric("loss", float(100 + i), 2000 + i, i) for i in range(20)])
    url = f"{API}/metrics/get-history-bulk-interval"

    response = api.get(url, params={"run_ids": [run_a], "metric_key": "loss", "max_results": 5})
    assert response.status_code == 200, response.text
    metrics = response.json()["metrics"]
    assert [m["step"] for m in metrics] == [0, 2, 4, 6, 9]
    assert all(m["run_id"] == run_a and m["key"] == "loss" for m in metrics)
    assert [m["value"] for m in metrics] == [0.0, 2.0, 4.0, 6.0, 9.0]
    assert [m["timestamp"] for m in metrics] == [1000, 1002, 1004, 1006, 1009]

    # Two runs: sampled independently, grouped by run in request order.
    response = api.get(url, params={"run_ids": [run_b, run_a], "metric_key": "loss", "max_results": 5})
    assert response.status_code == 200, response.text
    metrics = response.json()["metrics"]
    assert [(m["run_id"], m["step"]) for m in metrics] == [(run_b, s) for s in (0, 4, 8, 12, 19)] + [
        (run_a, s) for s in (0, 2, 4, 6, 9)
    ]

    # Fewer rows than max_results: everything, in step order.
    response = api.get(url, params={"run_ids": [run_a], "metric_key": "loss", "max_results": 10})
    assert [m["step"] for m in response.json()["metrics"]] == list(range(10))

    # Several values per step: rows (not steps) are sampled.
    client.log_batch(run_a, metrics=[Metric("loss", float(-i), 5000 + i, i) for i in range(10)])
    response = api.get(url, params={"run_ids": [run_a], "metric_key": "loss", "max_results": 5})
    assert [(m["step"], m["timestamp"]) for m in response.json()["metrics"]] == [
        (0, 1000),
        (2, 1002),
        (4, 1004),
        (6, 1006),
        (9, 5009),
    ]

    everything = api.get(url, params={"run_ids": [run_b], "metric_key": "loss"}).json()["metrics"]
    assert [m["step"] for m in everything] == list(range(20))
    window = api.get(url, params={"run_ids": [run_b], "metric_key": "loss", "start_step": 5, "end_step": 9}).json()
    assert [m["step"] for m in window["metrics"]] == [5, 6, 7, 8, 9]
    window = api.get(
        url, params={"run_ids": [run_b], "metric_key": "loss", "start_step": 2, "end_step": 17, "max_results": 4}
    ).json()
    assert [m["step"] for m in window["metrics"]] == [2, 6, 10, 17]

    for params, message in [
        ({"metric_key": "loss"}, "Missing value for required parameter 'run_ids'"),
        ({"run_ids": [run_a], "metric_key": "loss", "max_results": 0}, "max_results must be between 1 and 2500"),
        ({"run_ids": [run_a], "metric_key": "loss", "start_step": 5, "end_step": 1}, "end_step must be greater than start_step"),
        ({"run_ids": [run_a], "metric_key": "loss", "start_step": 5}, "both must be specified"),
        ({"run_ids": [f"{i:032x}" for i in range(101)], "metric_key": "loss"}, "must specify at most 100 run_ids"),
    ]:
        response = api.get(url, params=params)
        assert response.status_code == 400, (params, response.text[:300])
        body = error_of(response)
        assert body["error_code"] == "INVALID_PARAMETER_VALUE"
        assert message in body["message"], (params, body)


# --- process lifecycle ---------------------------------------------------------------------------


def test_data_survives_restart(server_factory, tmp_path):
    store = tmp_path / "persist"
    first = server_factory(store)
    client = MlflowClient(tracking_uri=first.url)
    exp_id = client.create_experiment("persisted", tags={"k": "v"})
    run_id = client.create_run(exp_id, run_name="kept").info.run_id
    client.log_metric(run_id, "m", 0.25, step=3)
    client.log_param(run_id, "p", "x")
    client.log_text(run_id, "artifact body", "notes/a.txt")
    client.set_terminated(run_id)
    first.stop_and_check()
    with pytest.raises(requests.ConnectionError):
        requests.get(first.url + "/health", timeout=5)

    second = server_factory(store)
    client = MlflowClient(tracking_uri=second.url)
    exp = client.get_experiment_by_name("persisted")
    assert exp.experiment_id == exp_id and exp.tags == {"k": "v"}
    run = client.get_run(run_id)
    assert run.info.run_name == "kept" and run.info.status == "FINISHED"
    assert run.data.metrics == {"m": 0.25} and run.data.params == {"p": "x"}
    assert [(m.step, m.value) for m in client.get_metric_history(run_id, "m")] == [(3, 0.25)]
    assert [f.path for f in client.list_artifacts(run_id, "notes")] == ["notes/a.txt"]
    (tmp_path / "dl").mkdir()
    local = client.download_artifacts(run_id, "notes/a.txt", str(tmp_path / "dl"))
    with open(local) as f:
        assert f.read() == "artifact body"
    # The default experiment is not duplicated by the second start.
    assert [e.name for e in client.search_experiments(filter_string="name = 'Default'")] == ["Default"]
    second.stop_and_check()


def test_sigint_also_stops_cleanly(server_factory, tmp_path):
    server = server_factory(tmp_path / "sigint-store")
    client = MlflowClient(tracking_uri=server.url)
    exp_id = client.create_experiment("before-sigint")
    server.proc.send_signal(signal.SIGINT)
    try:
        rc = server.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        pytest.fail(f"server did not exit within 20s of SIGINT; stderr:\n{server.stderr()}")
    assert rc == 0, f"exit code {rc} after SIGINT; stderr:\n{server.stderr()}"
    again = server_factory(tmp_path / "sigint-store")
    assert MlflowClient(tracking_uri=again.url).get_experiment_by_name("before-sigint").experiment_id == exp_id
    again.stop_and_check()


def test_two_servers_on_separate_stores_are_independent(server_factory, tmp_path):
    one = server_factory(tmp_path / "one")
    two = server_factory(tmp_path / "two")
    assert one.port != two.port
    MlflowClient(tracking_uri=one.url).create_experiment("only-in-one")
    assert MlflowClient(tracking_uri=two.url).get_experiment_by_name("only-in-one") is None
    one.stop_and_check()
    two.stop_and_check()


# --- a launch's tracking URI ----------------------------------------------------------------------

LAUNCH_ID = "0123456789abcdef"


def test_launch_path_serves_the_api_and_tags_the_runs_made_through_it(tracking_server, experiment_id, tmp_path):
    """The launcher gives a script `<server>/launch/<id>`: everything works under it, and its runs carry the id."""
    launch_uri = f"{tracking_server.url}/launch/{LAUNCH_ID}"
    mlflow.set_tracking_uri(launch_uri)
    (tmp_path / "notes.txt").write_text("through the launch path")
    with mlflow.start_run(experiment_id=experiment_id) as fluent:
        mlflow.log_param("lr", "0.1")
        mlflow.log_metric("loss", 0.5, step=1)
        mlflow.log_artifact(str(tmp_path / "notes.txt"))
    on_path = MlflowClient(tracking_uri=launch_uri)
    made = on_path.create_run(experiment_id, run_name="client-api", tags={"runboard.launch": "given"})
    plain = on_path.create_run(experiment_id, run_name="plain")
    downloaded = mlflow.artifacts.download_artifacts(run_id=fluent.info.run_id, artifact_path="notes.txt", dst_path=str(tmp_path / "out"))

    root = MlflowClient(tracking_uri=tracking_server.url)
    assert root.get_run(fluent.info.run_id).data.tags["runboard.launch"] == LAUNCH_ID
    assert root.get_run(fluent.info.run_id).data.params == {"lr": "0.1"}
    assert root.get_run(plain.info.run_id).data.tags["runboard.launch"] == LAUNCH_ID
    assert root.get_run(made.info.run_id).data.tags["runboard.launch"] == "given", "a tag the client sets is kept"
    assert open(downloaded).read() == "through the launch path"
    assert [f.path for f in root.list_artifacts(fluent.info.run_id)] == ["notes.txt"]
    found = root.search_runs([experiment_id], filter_string=f"tags.`runboard.launch` = '{LAUNCH_ID}'")
    assert {run.info.run_id for run in found} == {fluent.info.run_id, plain.info.run_id}


def test_launch_path_needs_the_token_and_a_launch_id(api):
    response = api.get(f"/launch/{LAUNCH_ID}{API}/experiments/search?max_results=1", auth=False)
    assert (response.status_code, error_of(response)["error_code"]) == (401, "UNAUTHENTICATED")
    response = api.get(f"/launch/not-an-id{API}/experiments/search?max_results=1")
    assert (response.status_code, error_of(response)["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
    assert api.get(f"/launch/{LAUNCH_ID}/version").status_code == 200
