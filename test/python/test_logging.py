"""Params, tags, metrics (history, latest value, NaN/inf), batches and dataset inputs via the real client."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException
from runboard_helpers import assert_server_alive, raises_mlflow, unique


def test_fluent_logging_round_trip(client, experiment_id):
    with mlflow.start_run(run_name="logging") as run:
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"owner": "me", "empty": ""})
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"depth": 5, "model": "rf", "flag": True, "blank": ""})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.5, "f1": 0.25}, step=0)
        mlflow.log_metrics({"acc": 0.75, "f1": 0.5}, step=1)
        mlflow.log_metric("plain", 42)
    got = client.get_run(run.info.run_id)
    assert got.data.params == {"lr": "0.01", "depth": "5", "model": "rf", "flag": "True", "blank": ""}
    user_tags = {k: v for k, v in got.data.tags.items() if not k.startswith("mlflow.")}
    assert user_tags == {"stage": "dev", "owner": "me", "empty": ""}
    assert got.data.metrics == {"loss": 0.2, "acc": 0.75, "f1": 0.5, "plain": 42.0}

    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]
    assert [m.value for m in history] == [1.0, 0.5, 1.0 / 3, 0.25, 0.2]
    assert all(m.key == "loss" for m in history)
    assert all(isinstance(m.timestamp, int) and m.timestamp > 0 for m in history)
    timestamps = [m.timestamp for m in history]
    assert timestamps == sorted(timestamps)
    plain = client.get_metric_history(run.info.run_id, "plain")
    assert [(m.value, m.step) for m in plain] == [(42.0, 0)]
    assert client.get_metric_history(run.info.run_id, "never-logged") == []


def test_metric_history_order_and_latest_value(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    # Logged out of step order with explicit timestamps.
    client.log_metric(run_id, "m", 5.0, timestamp=1000, step=5)
    client.log_metric(run_id, "m", 3.0, timestamp=1001, step=3)  # later timestamp, lower step
    client.log_metric(run_id, "m", 7.0, timestamp=999, step=5)  # same step, earlier timestamp
    client.log_metric(run_id, "m", -1.5, timestamp=1002, step=-2)  # negative steps are allowed
    history = client.get_metric_history(run_id, "m")
    # History: timestamp, step, value ascending.
    assert [(m.timestamp, m.step, m.value) for m in history] == [
        (999, 5, 7.0),
        (1000, 5, 5.0),
        (1001, 3, 3.0),
        (1002, -2, -1.5),
    ]
    # Latest value: greatest (step, timestamp, value).
    assert client.get_run(run_id).data.metrics["m"] == 5.0


def test_same_step_values_kept(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "dup", 1.0, timestamp=10, step=0)
    client.log_metric(run_id, "dup", 2.0, timestamp=10, step=0)
    client.log_metric(run_id, "dup", 2.0, timestamp=10, step=0)  # exact duplicate
    history = client.get_metric_history(run_id, "dup")
    assert sorted(m.value for m in history) in ([1.0, 2.0], [1.0, 2.0, 2.0])
    assert client.get_run(run_id).data.metrics["dup"] == 2.0


def test_nan_and_infinity_round_trip(client, experiment_id):
    with mlflow.start_run() as run:
        mlflow.log_metric("nan", float("nan"))
        mlflow.log_metric("pinf", float("inf"))
        mlflow.log_metric("ninf", float("-inf"))
        mlflow.log_metrics({"batch_nan": float("nan"), "batch_pinf": float("inf"), "finite": 1.5})
        mlflow.log_metric("mixed", 1.0, step=0)
        mlflow.log_metric("mixed", float("nan"), step=1)
        mlflow.log_metric("mixed", 3.0, step=2)
    metrics = client.get_run(run.info.run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["pinf"] >= 1.79e308
    assert metrics["ninf"] <= -1.79e308
    assert math.isnan(metrics["batch_nan"])
    assert metrics["batch_pinf"] >= 1.79e308
    assert metrics["finite"] == 1.5
    assert metrics["mixed"] == 3.0

    [nan_entry] = client.get_metric_history(run.info.run_id, "nan")
    assert math.isnan(nan_entry.value) and nan_entry.step == 0
    [inf_entry] = client.get_metric_history(run.info.run_id, "pinf")
    assert inf_entry.value >= 1.79e308
    mixed = client.get_metric_history(run.info.run_id, "mixed")
    assert [m.step for m in mixed] == [0, 1, 2]
    assert mixed[0].value == 1.0 and math.isnan(mixed[1].value) and mixed[2].value == 3.0


def test_log_batch(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(
        run_id,
        metrics=[
            Metric("b1", 1.0, 100, 0),
            Metric("b1", 2.0, 101, 1),
            Metric("b2", -3.25, 102, 7),
        ],
        params=[Param("p1", "v1"), Param("p2", "")],
        tags=[RunTag("t1", "x"), RunTag("t2", "y"), RunTag("t1", "z")],
    )
    got = client.get_run(run_id)
    assert got.data.metrics == {"b1": 2.0, "b2": -3.25}
    assert got.data.params == {"p1": "v1", "p2": ""}
    assert got.data.tags["t1"] == "z"
    assert got.data.tags["t2"] == "y"
    assert [(m.value, m.timestamp, m.step) for m in client.get_metric_history(run_id, "b1")] == [
        (1.0, 100, 0),
        (2.0, 101, 1),
    ]
    assert [(m.value, m.timestamp, m.step) for m in client.get_metric_history(run_id, "b2")] == [(-3.25, 102, 7)]


def test_large_batches_are_chunked_and_stored(client, experiment_id):
    """log_params with 250 params and log_metrics with 1500 metrics: the client splits them."""
    with mlflow.start_run() as run:
        mlflow.log_params({f"p{i:03d}": i for i in range(250)})
        for step in range(3):
            mlflow.log_metrics({f"m{i:03d}": i * 0.5 + step for i in range(500)}, step=step)
    got = client.get_run(run.info.run_id)
    assert got.data.params == {f"p{i:03d}": str(i) for i in range(250)}
    assert got.data.metrics == {f"m{i:03d}": i * 0.5 + 2 for i in range(500)}
    history = client.get_metric_history(run.info.run_id, "m123")
    assert [(m.step, m.value) for m in history] == [(0, 61.5), (1, 62.5), (2, 63.5)]


def test_long_metric_history_pages(client, experiment_id):
    """More points than one get-history page of the client (it asks for 25000 per page)."""
    run_id = client.create_run(experiment_id).info.run_id
    total = 26_000
    for start in range(0, total, 1000):
        client.log_batch(run_id, metrics=[Metric("long", float(i), 1_000_000 + i, i) for i in range(start, start + 1000)])
    history = client.get_metric_history(run_id, "long")
    assert len(history) == total
    assert [m.step for m in history] == list(range(total))
    assert history[-1].value == float(total - 1)
    assert client.get_run(run_id).data.metrics["long"] == float(total - 1)


def test_param_immutability(client, experiment_id):
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", "0.1")
        mlflow.log_param("alpha", "0.1")  # same value again: fine
        with raises_mlflow("INVALID_PARAMETER_VALUE"):
            mlflow.log_param("alpha", "0.2")
        with raises_mlflow("INVALID_PARAMETER_VALUE"):
            mlflow.log_params({"alpha": "0.3", "beta": "1"})
        mlflow.log_params({"alpha": "0.1", "gamma": "2"})
    got = client.get_run(run.info.run_id)
    assert got.data.params["alpha"] == "0.1"
    assert got.data.params["gamma"] == "2"
    assert_server_alive(client)


def test_log_input_dataset(client, experiment_id):
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    dataset = mlflow.data.from_pandas(df, source="file:///tmp/data.csv", name="toy", targets="y")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training", tags={"split": "all"})
        mlflow.log_input(dataset, context="training")  # same dataset again: no duplicate link
    got = client.get_run(run.info.run_id)
    inputs = got.inputs.dataset_inputs
    assert len(inputs) == 1
    ds = inputs[0].dataset
    expected = dataset.to_dict()
    assert ds.name == "toy"
    assert ds.digest == dataset.digest == expected["digest"]
    assert ds.source_type == expected["source_type"]
    assert ds.source == expected["source"]
    assert ds.schema == expected["schema"]
    assert ds.profile == expected["profile"]
    assert sorted((t.key, t.value) for t in inputs[0].tags) == [("mlflow.data.context", "training"), ("split", "all")]


def test_logging_to_another_run_by_client(client, experiment_id):
    """MlflowClient writes to a run without making it active (and keeps it RUNNING)."""
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "k", "v")
    client.log_metric(run_id, "m", 1.0, step=3)
    client.set_tag(run_id, "t", "1")
    got = client.get_run(run_id)
    assert got.info.status == "RUNNING"
    assert got.data.params == {"k": "v"}
    assert got.data.metrics == {"m": 1.0}
    assert got.data.tags["t"] == "1"
    assert client.get_metric_history(run_id, "m")[0].step == 3


def test_unicode_names_and_values(client, tmp_path):
    name = unique("exp-ünïcødé-日本語")
    exp_id = client.create_experiment(name, tags={"désc": "naïve ✓"})
    assert client.get_experiment_by_name(name).experiment_id == exp_id
    assert client.get_experiment(exp_id).tags == {"désc": "naïve ✓"}
    run = client.create_run(exp_id, run_name="rün-🚀")
    run_id = run.info.run_id
    client.log_param(run_id, "modèle", "forêt aléatoire")
    client.set_tag(run_id, "note", "multi\nline\ttabbed «quoted» 'single' \"double\" \\ back")
    client.log_metric(run_id, "précision", 0.5)
    got = client.get_run(run_id)
    assert got.info.run_name == "rün-🚀"
    assert got.data.params == {"modèle": "forêt aléatoire"}
    assert got.data.tags["note"] == "multi\nline\ttabbed «quoted» 'single' \"double\" \\ back"
    assert got.data.metrics == {"précision": 0.5}
    found = client.search_runs([exp_id], "params.`modèle` = 'forêt aléatoire' AND attributes.run_name = 'rün-🚀'")
    assert [r.info.run_id for r in found] == [run_id]
    src = tmp_path / "fïlé näme.txt"
    src.write_text("contenu ✓", encoding="utf-8")
    client.log_artifact(run_id, str(src), artifact_path="dössier")
    assert [(f.path, f.file_size) for f in client.list_artifacts(run_id, "dössier")] == [
        ("dössier/fïlé näme.txt", len("contenu ✓".encode()))
    ]
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/dössier/fïlé näme.txt") == "contenu ✓"


def test_value_length_limits_round_trip(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    param_value = "p" * 6000
    tag_value = "t" * 8000
    client.log_param(run_id, "long_param", param_value)
    client.set_tag(run_id, "long_tag", tag_value)
    exp_tag = "e" * 5000
    client.set_experiment_tag(experiment_id, "long_exp_tag", exp_tag)
    got = client.get_run(run_id)
    assert got.data.params["long_param"] == param_value
    assert got.data.tags["long_tag"] == tag_value
    assert client.get_experiment(experiment_id).tags["long_exp_tag"] == exp_tag


@pytest.mark.parametrize(
    "value",
    [0.1 + 0.2, 1e-300, 5e-324, -0.0, 1.7976931348623157e308, -2.5e-17, 123456789.123456789, 2.0**53 + 2],
)
def test_metric_value_precision(client, experiment_id, value):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "v", value, timestamp=1, step=0)
    got = client.get_run(run_id).data.metrics["v"]
    assert got == value  # (the sign of -0.0 is not required to survive)
    [entry] = client.get_metric_history(run_id, "v")
    assert entry.value == value


@pytest.mark.parametrize("step", [2**31, 2**53 - 1, -(2**31)])
def test_large_steps_and_timestamps_round_trip(client, experiment_id, step):
    run_id = client.create_run(experiment_id).info.run_id
    timestamp = 4_102_444_800_000  # year 2100 in ms
    client.log_metric(run_id, "s", 1.0, timestamp=timestamp, step=step)
    [entry] = client.get_metric_history(run_id, "s")
    assert (entry.step, entry.timestamp) == (step, timestamp)


def test_step_beyond_double_precision_is_not_silently_changed(client, experiment_id):
    """An int64 step a JS number cannot hold: stored exactly or rejected, never altered."""
    run_id = client.create_run(experiment_id).info.run_id
    step = 2**53 + 1
    try:
        client.log_metric(run_id, "big", 1.0, timestamp=1, step=step)
    except MlflowException as exc:
        assert exc.error_code == "INVALID_PARAMETER_VALUE", exc.message
        assert client.get_metric_history(run_id, "big") == []
    else:
        assert [m.step for m in client.get_metric_history(run_id, "big")] == [step]


def test_concurrent_logging_from_threads(client, experiment_id):
    """Several threads writing at once (the client pools connections): nothing lost, no 5xx."""
    run_ids = [client.create_run(experiment_id).info.run_id for _ in range(6)]

    def work(index: int) -> None:
        run_id = run_ids[index]
        own = MlflowClient()
        for step in range(25):
            own.log_metric(run_id, "loss", float(step), timestamp=1000 + step, step=step)
        own.log_batch(run_id, params=[Param(f"p{i}", str(index)) for i in range(20)])
        own.set_tag(run_id, "thread", str(index))

    with ThreadPoolExecutor(max_workers=6) as pool:
        for future in [pool.submit(work, i) for i in range(6)]:
            future.result()
    for index, run_id in enumerate(run_ids):
        got = client.get_run(run_id)
        assert got.data.metrics == {"loss": 24.0}
        assert got.data.params == {f"p{i}": str(index) for i in range(20)}
        assert got.data.tags["thread"] == str(index)
        assert [m.step for m in client.get_metric_history(run_id, "loss")] == list(range(25))


def test_async_logging(client, experiment_id):
    with mlflow.start_run() as run:
        futures = [mlflow.log_metric("async_m", float(i), step=i, synchronous=False) for i in range(20)]
        futures.append(mlflow.log_param("async_p", "1", synchronous=False))
        futures.append(mlflow.set_tag("async_t", "x", synchronous=False))
        futures.append(mlflow.log_metrics({"a1": 1.0, "a2": 2.0}, synchronous=False))
        for future in futures:
            future.wait()
    got = client.get_run(run.info.run_id)
    assert got.data.metrics == {"async_m": 19.0, "a1": 1.0, "a2": 2.0}
    assert got.data.params == {"async_p": "1"}
    assert got.data.tags["async_t"] == "x"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "async_m")] == list(range(20))
