"""Error codes the client branches on, and that the server keeps answering after each error."""

from __future__ import annotations

import mlflow
import pytest
from mlflow.entities import Metric, Param, RunTag
from runboard_helpers import assert_server_alive, error_of, raises_mlflow, unique

UNKNOWN_RUN = "0123456789abcdef0123456789abcdef"


def test_duplicate_experiment_name(client):
    name = unique("dup")
    exp_id = client.create_experiment(name)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS") as info:
        client.create_experiment(name)
    assert info.value.get_http_status_code() == 400
    assert_server_alive(client)
    assert client.get_experiment_by_name(name).experiment_id == exp_id
    # set_experiment on the existing name just reuses it.
    assert mlflow.set_experiment(name).experiment_id == exp_id


def test_unknown_run(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_run(UNKNOWN_RUN)
    assert_server_alive(client)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.log_metric(UNKNOWN_RUN, "m", 1.0)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.log_param(UNKNOWN_RUN, "p", "v")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.set_terminated(UNKNOWN_RUN)
    assert_server_alive(client)


def test_unknown_experiment_for_run(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.create_run("987654321")
    assert_server_alive(client)


def test_param_changed_value_rejected(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "alpha", "1")
    client.log_param(run_id, "alpha", "1")  # same value: OK
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.log_param(run_id, "alpha", "2")
    assert_server_alive(client)
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.log_batch(run_id, params=[Param("alpha", "3")])
    # Duplicate keys inside one batch are rejected too.
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.log_batch(run_id, params=[Param("beta", "1"), Param("beta", "2")])
    assert client.get_run(run_id).data.params == {"alpha": "1"}
    client.log_batch(run_id, params=[Param("alpha", "1"), Param("gamma", "g")])
    assert client.get_run(run_id).data.params == {"alpha": "1", "gamma": "g"}


@pytest.mark.parametrize(
    "write",
    [
        lambda c, r: c.log_metric(r, "m", 1.0),
        lambda c, r: c.log_param(r, "p", "v"),
        lambda c, r: c.set_tag(r, "t", "v"),
        lambda c, r: c.log_batch(r, metrics=[Metric("m", 1.0, 1, 0)]),
        lambda c, r: c.log_batch(r, params=[Param("p", "v")]),
        lambda c, r: c.log_batch(r, tags=[RunTag("t", "v")]),
        lambda c, r: c.update_run(r, name="renamed"),
    ],
    ids=["log_metric", "log_param", "set_tag", "batch_metrics", "batch_params", "batch_tags", "update_run"],
)
def test_writes_to_deleted_run_rejected(client, experiment_id, write):
    run_id = client.create_run(experiment_id, run_name="orig").info.run_id
    client.delete_run(run_id)
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        write(client, run_id)
    assert_server_alive(client)
    got = client.get_run(run_id)  # reads still work
    assert got.info.lifecycle_stage == "deleted"
    assert got.info.run_name == "orig"
    assert got.data.metrics == {} and got.data.params == {}
    assert "t" not in got.data.tags


def test_fluent_logging_to_deleted_run(client, experiment_id):
    run = mlflow.start_run()
    run_id = run.info.run_id
    client.delete_run(run_id)
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        mlflow.log_metric("m", 1.0)
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        mlflow.log_param("p", 1)
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        mlflow.log_metrics({"a": 1.0, "b": 2.0})
    # Ending it cannot change the status of a deleted run either.
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        mlflow.end_run()
    assert mlflow.active_run() is None
    assert_server_alive(client)
    got = client.get_run(run_id)
    assert got.info.status == "RUNNING"
    assert got.data.metrics == {} and got.data.params == {}


@pytest.mark.parametrize(
    "filter_string",
    [
        "metrics.acc >",
        "params.model = rf",
        "metrics.acc > 'high'",
        "attributes.status = 'FINISHED' OR metrics.acc > 1",
        "foo.bar = 'x'",
        "metrics.acc LIKE 0.5",
        "attributes.run_id IN ()",
        "(metrics.acc > 1)",
        "attributes.unknown_attr = 'x'",
        "tags.t = 'x'; DROP TABLE runs",
    ],
)
def test_bad_filter_string(client, api, experiment_id, filter_string):
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.search_runs([experiment_id], filter_string=filter_string)
    response = api.post(
        "/api/2.0/mlflow/runs/search", json={"experiment_ids": [experiment_id], "filter": filter_string}
    )
    assert response.status_code == 400, response.text
    assert error_of(response)["error_code"] == "INVALID_PARAMETER_VALUE"
    assert_server_alive(client)


@pytest.mark.parametrize("order_by", [["metrics.acc SIDEWAYS"], ["nonsense.key"], ["attributes.bogus"]])
def test_bad_order_by(client, experiment_id, order_by):
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.search_runs([experiment_id], order_by=order_by)
    assert_server_alive(client)


def test_bad_experiment_filter(client):
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.search_experiments(filter_string="name LIKE")
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.search_experiments(filter_string="metrics.acc > 1")
    assert_server_alive(client)


@pytest.mark.parametrize("key", ["bad!key", "semi;colon", "a//b", "../up", "/abs", "trailing/", "star*", "tab\tkey", ""])
def test_invalid_metric_param_tag_keys(client, experiment_id, key):
    run_id = client.create_run(experiment_id).info.run_id
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.log_metric(run_id, key, 1.0)
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.log_param(run_id, key, "v")
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.set_tag(run_id, key, "v")
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.log_batch(run_id, metrics=[Metric(key, 1.0, 1, 0)])
    assert_server_alive(client)
    got = client.get_run(run_id)
    assert got.data.metrics == {} and got.data.params == {}


@pytest.mark.parametrize("key", ["ok_key", "with space", "a/b/c", "dots.and-dashes", "colon:key", "x" * 250])
def test_valid_unusual_keys_accepted(client, experiment_id, key):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, key, 2.0)
    client.log_param(run_id, key, "v")
    client.set_tag(run_id, key, "t")
    got = client.get_run(run_id)
    assert got.data.metrics[key] == 2.0
    assert got.data.params[key] == "v"
    assert got.data.tags[key] == "t"


def test_key_too_long_rejected(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.log_metric(run_id, "k" * 251, 1.0)
    assert_server_alive(client)


def test_run_name_conflicts_with_tag(client, experiment_id):
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.create_run(experiment_id, run_name="one", tags={"mlflow.runName": "two"})
    assert_server_alive(client)


def test_rename_deleted_experiment_rejected(client):
    exp_id = client.create_experiment(unique("ren-del"))
    client.delete_experiment(exp_id)
    with pytest.raises(Exception) as info:
        client.rename_experiment(exp_id, unique("new"))
    assert getattr(info.value, "error_code", None) in ("INVALID_PARAMETER_VALUE", "INVALID_STATE", "BAD_REQUEST")
    assert_server_alive(client)


def test_experiment_tag_on_deleted_experiment_rejected(client):
    exp_id = client.create_experiment(unique("tag-del"))
    client.delete_experiment(exp_id)
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.set_experiment_tag(exp_id, "k", "v")
    assert_server_alive(client)
