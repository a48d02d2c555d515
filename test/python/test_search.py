"""search_runs (MlflowClient and mlflow.search_runs) filters, ordering, paging and view types."""

from __future__ import annotations

import math
from types import SimpleNamespace

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from runboard_helpers import ids, raises_mlflow, unique

BASE = 1_750_000_000_000  # start_time of r0; r_i starts i seconds later

# name, params, metrics (acc, loss), team tag, final status
SPEC = [
    ("alpha-1", {"model": "rf", "depth": "3"}, {"acc": 0.70, "loss": 0.50}, "Alpha", "FINISHED"),
    ("alpha-2", {"model": "rf", "depth": "5"}, {"acc": 0.80, "loss": 0.40}, "alpha", "FINISHED"),
    ("beta-1", {"model": "lr"}, {"acc": 0.90, "loss": 0.30}, "Beta", "FAILED"),
    ("beta-2", {"model": "lr"}, {"acc": 0.85}, None, "RUNNING"),
    ("gamma", {"model": "svm"}, {"loss": 0.90}, "gamma", "KILLED"),
    ("delta", {"model": "rf"}, {"acc": float("nan")}, None, "FINISHED"),
]


@pytest.fixture(scope="module")
def data(tracking_server):
    """Six runs with controlled start times, params, metrics, tags and statuses."""
    client = MlflowClient(tracking_uri=tracking_server.url)
    name = unique("search-runs")
    exp_id = client.create_experiment(name)
    runs = []
    for i, (run_name, params, metrics, team, status) in enumerate(SPEC):
        tags = {"team": team} if team is not None else {}
        tags["idx"] = str(i)
        run = client.create_run(exp_id, start_time=BASE + i * 1000, run_name=run_name, tags=tags)
        run_id = run.info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, BASE + i * 1000 + 1, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in params.items()],
        )
        if status != "RUNNING":
            client.set_terminated(run_id, status=status, end_time=BASE + i * 1000 + 500)
        runs.append(run_id)
    return SimpleNamespace(client=client, exp_id=exp_id, name=name, r=runs)


def search(data, filter_string="", order_by=None, **kwargs):
    return ids(data.client.search_runs([data.exp_id], filter_string=filter_string, order_by=order_by, **kwargs))


def test_default_order_is_start_time_desc(data):
    r = data.r
    assert search(data) == [r[5], r[4], r[3], r[2], r[1], r[0]]


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("metrics.acc > 0.75", [3, 2, 1]),
        ("metrics.acc >= 0.85 AND params.model = 'lr'", [3, 2]),
        ("metrics.acc = 0.8", [1]),
        ("metrics.acc != 0.8 AND metrics.acc > 0.5", [3, 2, 0]),
        ("metrics.loss < 0.45", [2, 1]),
        ("metric.loss <= 0.5", [2, 1, 0]),
        ("params.model = 'rf'", [5, 1, 0]),
        ("params.model != 'rf'", [4, 3, 2]),
        ("params.depth = '5'", [1]),
        ("param.model LIKE 'r%'", [5, 1, 0]),
        ("params.model ILIKE 'R%'", [5, 1, 0]),
        ("params.model ILIKE '%R%'", [5, 3, 2, 1, 0]),
        ("params.model LIKE '_v_'", [4]),
        ("tags.team = 'alpha'", [1]),
        ("tags.team != 'alpha'", [4, 2, 0]),
        ("tags.team LIKE 'alpha%'", [1]),
        ("tags.team ILIKE 'alpha%'", [1, 0]),
        ("tag.team ILIKE '%A'", [4, 2, 1, 0]),
        ("tags.`team` = 'Beta'", [2]),
        ("attributes.status = 'FINISHED'", [5, 1, 0]),
        ("attributes.status != 'FINISHED'", [4, 3, 2]),
        ("status = 'RUNNING'", [3]),
        ("attributes.run_name = 'beta-1'", [2]),
        ("attributes.run_name LIKE 'alpha-%'", [1, 0]),
        ("run_name ILIKE 'BETA%'", [3, 2]),
        ("attributes.`Run name` = 'gamma'", [4]),
        (f"attributes.start_time >= {BASE + 2000} AND attributes.start_time < {BASE + 4000}", [3, 2]),
        (f"attributes.start_time > {BASE + 4000}", [5]),
        (f"attributes.end_time <= {BASE + 1500}", [1, 0]),
        ("params.model = 'rf' AND tags.team ILIKE 'alpha' AND metrics.acc > 0.75", [1]),
        ("params.model = 'nope'", []),
        ("metrics.missing > 0", []),
    ],
)
def test_filters(data, filter_string, expected):
    assert search(data, filter_string) == [data.r[i] for i in expected], filter_string


def test_run_id_in_and_not_in(data):
    r = data.r
    assert search(data, f"attributes.run_id IN ('{r[0]}', '{r[2]}')") == [r[2], r[0]]
    assert search(data, f"attributes.run_id = '{r[4]}'") == [r[4]]
    assert search(data, f"run_id NOT IN ('{r[0]}', '{r[1]}', '{r[2]}')") == [r[5], r[4], r[3]]


@pytest.mark.parametrize(
    "order_by, expected",
    [
        # real values first, then NaN, then runs without the metric
        (["metrics.acc DESC"], [2, 3, 1, 0, 5, 4]),
        (["metrics.acc ASC"], [0, 1, 3, 2, 5, 4]),
        (["metrics.acc"], [0, 1, 3, 2, 5, 4]),
        # ties broken by start_time DESC
        (["params.model ASC"], [3, 2, 5, 1, 0, 4]),
        (["params.model DESC", "metrics.acc ASC"], [4, 0, 1, 5, 3, 2]),
        # byte order, missing last
        (["tags.team ASC"], [0, 2, 1, 4, 5, 3]),
        (["attributes.start_time ASC"], [0, 1, 2, 3, 4, 5]),
        (["attributes.start_time DESC"], [5, 4, 3, 2, 1, 0]),
        (["attributes.run_name DESC"], [4, 5, 3, 2, 1, 0]),
        (["attributes.run_name"], [0, 1, 2, 3, 5, 4]),
        (["metrics.loss DESC", "attributes.run_name ASC"], [4, 0, 1, 2, 3, 5]),
    ],
)
def test_order_by(data, order_by, expected):
    assert search(data, order_by=order_by) == [data.r[i] for i in expected], order_by


def test_order_by_with_filter_and_max_results(data):
    r = data.r
    assert search(data, "params.model = 'rf'", ["metrics.acc DESC"], max_results=2) == [r[1], r[0]]


def test_search_runs_dataframe(data):
    r = data.r
    df = mlflow.search_runs(
        experiment_ids=[data.exp_id], filter_string="params.model = 'rf'", order_by=["attributes.start_time ASC"]
    )
    assert list(df["run_id"]) == [r[0], r[1], r[5]]
    assert list(df["experiment_id"]) == [data.exp_id] * 3
    assert list(df["status"]) == ["FINISHED"] * 3
    assert list(df["params.model"]) == ["rf", "rf", "rf"]
    assert list(df["params.depth"])[:2] == ["3", "5"] and pd.isna(df["params.depth"].iloc[2])
    assert list(df["metrics.acc"])[:2] == [0.70, 0.80] and math.isnan(df["metrics.acc"].iloc[2])
    assert list(df["tags.mlflow.runName"]) == ["alpha-1", "alpha-2", "delta"]
    assert list(df["tags.team"])[:2] == ["Alpha", "alpha"]
    assert [int(ts.timestamp() * 1000) for ts in df["start_time"]] == [BASE, BASE + 1000, BASE + 5000]

    by_name = mlflow.search_runs(experiment_names=[data.name], filter_string="metrics.acc > 0.75")
    assert list(by_name["run_id"]) == [r[3], r[2], r[1]]

    as_list = mlflow.search_runs(
        experiment_ids=[data.exp_id], filter_string="tags.team ILIKE 'beta'", output_format="list"
    )
    assert ids(as_list) == [r[2]]
    assert as_list[0].data.params == {"model": "lr"}
    assert as_list[0].data.metrics == {"acc": 0.90, "loss": 0.30}

    empty = mlflow.search_runs(experiment_ids=[data.exp_id], filter_string="params.model = 'nope'")
    assert len(empty) == 0


def test_search_all_experiments(data):
    marker = unique("marker")
    client = data.client
    other_exp = client.create_experiment(unique("search-other"))
    a = client.create_run(data.exp_id, tags={"marker": marker}, start_time=BASE + 10_000).info.run_id
    b = client.create_run(other_exp, tags={"marker": marker}, start_time=BASE + 20_000).info.run_id
    try:
        df = mlflow.search_runs(search_all_experiments=True, filter_string=f"tags.marker = '{marker}'")
        assert list(df["run_id"]) == [b, a]
        assert ids(client.search_runs([data.exp_id, other_exp], f"tags.marker = '{marker}'")) == [b, a]
    finally:
        client.delete_run(a)  # keep the module's six-run data set intact for other tests


def test_paging_4_4_2(client):
    """Runs with the same start_time page in run_id order; the last page has no token."""
    exp_id = client.create_experiment(unique("paging"))
    created = [client.create_run(exp_id, start_time=BASE).info.run_id for _ in range(10)]
    expected = sorted(created)

    pages = []
    token = None
    while True:
        page = client.search_runs([exp_id], max_results=4, page_token=token)
        pages.append(ids(page))
        token = page.token
        if not token:
            break
        assert len(pages) < 5, "paging does not terminate"
    assert pages == [expected[0:4], expected[4:8], expected[8:10]]
    assert page.token is None

    # Exactly one page's worth: no token.
    whole = client.search_runs([exp_id], max_results=10)
    assert ids(whole) == expected and whole.token is None

    # The fluent DataFrame helper follows tokens itself.
    df = mlflow.search_runs([exp_id], max_results=7)
    assert list(df["run_id"]) == expected[:7]
    df = mlflow.search_runs([exp_id])
    assert list(df["run_id"]) == expected


def test_paging_with_filter_and_order(client):
    exp_id = client.create_experiment(unique("paging-ordered"))
    run_ids = []
    for i in range(9):
        run_id = client.create_run(exp_id, start_time=BASE + i).info.run_id
        client.log_metric(run_id, "score", float(i % 3), timestamp=BASE, step=0)
        client.set_tag(run_id, "parity", "even" if i % 2 == 0 else "odd")
        run_ids.append(run_id)
    expected = sorted(
        [i for i in range(9) if i % 2 == 0], key=lambda i: (-(i % 3), -(BASE + i))
    )  # score DESC, then start_time DESC
    got = []
    token = None
    for _ in range(5):
        page = MlflowClient().search_runs(
            [exp_id], "tags.parity = 'even'", order_by=["metrics.score DESC"], max_results=2, page_token=token
        )
        got.extend(ids(page))
        token = page.token
        if not token:
            break
    assert got == [run_ids[i] for i in expected]


def test_run_view_type(client):
    exp_id = client.create_experiment(unique("view-type"))
    live = [client.create_run(exp_id, start_time=BASE + i).info.run_id for i in range(3)]
    client.delete_run(live[1])
    assert ids(client.search_runs([exp_id])) == [live[2], live[0]]
    assert ids(client.search_runs([exp_id], run_view_type=ViewType.ACTIVE_ONLY)) == [live[2], live[0]]
    assert ids(client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)) == [live[1]]
    assert ids(client.search_runs([exp_id], run_view_type=ViewType.ALL)) == [live[2], live[1], live[0]]
    df = mlflow.search_runs([exp_id], run_view_type=ViewType.ALL, order_by=["attributes.start_time ASC"])
    assert list(df["run_id"]) == live
    # Lifecycle is not filterable as an attribute; view type only.
    assert ids(client.search_runs([exp_id], "attributes.status = 'RUNNING'", run_view_type=ViewType.DELETED_ONLY)) == [
        live[1]
    ]


def test_empty_experiment_list_and_empty_experiment(client):
    exp_id = client.create_experiment(unique("empty"))
    assert ids(client.search_runs([exp_id])) == []
    assert client.search_runs([exp_id]).token is None
    assert len(mlflow.search_runs([exp_id])) == 0


def test_search_max_results_too_large(client, experiment_id):
    with raises_mlflow("INVALID_PARAMETER_VALUE", match="Invalid value 123456789 for parameter 'max_results'"):
        client.search_runs([experiment_id], max_results=123456789)


def test_search_dataset_filter(client, experiment_id):
    train = mlflow.data.from_pandas(pd.DataFrame({"a": [1, 2]}), name="train-set")
    other = mlflow.data.from_pandas(pd.DataFrame({"b": [3, 4, 5]}), name="other-set")
    with mlflow.start_run() as run1:
        mlflow.log_input(train, context="training")
    with mlflow.start_run() as run2:
        mlflow.log_input(other, context="eval")
    r1, r2 = run1.info.run_id, run2.info.run_id
    assert search_ids(client, experiment_id, "datasets.name = 'train-set'") == [r1]
    assert search_ids(client, experiment_id, "dataset.context = 'eval'") == [r2]
    assert search_ids(client, experiment_id, f"datasets.digest = '{other.digest}'") == [r2]
    assert search_ids(client, experiment_id, "datasets.name IN ('train-set', 'other-set')") == [r2, r1]


def search_ids(client, exp_id, filter_string):
    return ids(client.search_runs([exp_id], filter_string))


def test_tags_with_dots_and_backticks(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.set_tag(run_id, "my.dotted.tag", "v")
    client.set_tag(run_id, "with space", "w")
    client.log_metric(run_id, "my-metric", 3.0)
    client.log_param(run_id, "my param", "x")
    assert search_ids(client, experiment_id, "tags.my.dotted.tag = 'v'") == [run_id]
    assert search_ids(client, experiment_id, "tags.`my.dotted.tag` = 'v'") == [run_id]
    assert search_ids(client, experiment_id, "tags.`with space` = 'w'") == [run_id]
    assert search_ids(client, experiment_id, "metrics.`my-metric` >= 3") == [run_id]
    assert search_ids(client, experiment_id, 'params."my param" = "x"') == [run_id]
    assert search_ids(client, experiment_id, "tags.`with space` = 'nope'") == []


def test_log_batch_tags_are_searchable(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, tags=[RunTag("k", "v1")])
    client.log_batch(run_id, tags=[RunTag("k", "v2")])
    assert search_ids(client, experiment_id, "tags.k = 'v2'") == [run_id]
    assert search_ids(client, experiment_id, "tags.k = 'v1'") == []
