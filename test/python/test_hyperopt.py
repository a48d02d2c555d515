"""A hyperopt search where every trial is a nested MLflow run, then ranked with search_runs."""

from __future__ import annotations

import numpy as np
import mlflow
import pytest
from hyperopt import STATUS_OK, Trials, fmin, hp, tpe
from sklearn.datasets import load_iris, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

MAX_EVALS = 8
LOADERS = {"iris": load_iris, "wine": load_wine}


@pytest.mark.parametrize("dataset", ["iris", "wine"])
def test_hyperopt_nested_runs_ranked_by_accuracy(client, experiment_id, dataset):
    X, y = LOADERS[dataset](return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    space = {
        "n_estimators": hp.quniform("n_estimators", 2, 30, 1),
        "max_depth": hp.quniform("max_depth", 1, 6, 1),
        "criterion": hp.choice("criterion", ["gini", "entropy"]),
    }
    trials_seen: list[tuple[str, float, dict]] = []

    def objective(params):
        params = {
            "n_estimators": int(params["n_estimators"]),
            "max_depth": int(params["max_depth"]),
            "criterion": params["criterion"],
        }
        with mlflow.start_run(nested=True) as child:
            mlflow.log_params(params)
            mlflow.set_tag("dataset", dataset)
            model = RandomForestClassifier(random_state=0, **params).fit(X_train, y_train)
            accuracy = accuracy_score(y_test, model.predict(X_test))
            mlflow.log_metric("accuracy", accuracy)
            trials_seen.append((child.info.run_id, accuracy, params))
        return {"loss": -accuracy, "status": STATUS_OK}

    with mlflow.start_run(run_name=f"hyperopt-{dataset}") as parent:
        trials = Trials()
        best = fmin(
            objective,
            space,
            algo=tpe.suggest,
            max_evals=MAX_EVALS,
            trials=trials,
            rstate=np.random.default_rng(42),
            show_progressbar=False,
        )
        best_accuracy = max(acc for _, acc, _ in trials_seen)
        mlflow.log_metric("best_accuracy", best_accuracy)
        mlflow.log_params({f"best_{k}": v for k, v in best.items()})
    parent_id = parent.info.run_id
    assert len(trials_seen) == MAX_EVALS
    assert -min(trials.losses()) == best_accuracy

    children = client.search_runs(
        [experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent_id}'",
        order_by=["metrics.accuracy DESC"],
    )
    assert len(children) == MAX_EVALS
    assert parent_id not in [r.info.run_id for r in children]
    accuracies = [r.data.metrics["accuracy"] for r in children]
    assert accuracies == sorted(accuracies, reverse=True)
    assert accuracies[0] == best_accuracy
    # Exact order: accuracy DESC, then start_time DESC, then run_id ASC.
    expected = sorted(children, key=lambda r: (-r.data.metrics["accuracy"], -r.info.start_time, r.info.run_id))
    assert [r.info.run_id for r in children] == [r.info.run_id for r in expected]

    by_id = {run_id: (acc, params) for run_id, acc, params in trials_seen}
    assert set(by_id) == {r.info.run_id for r in children}
    for run in children:
        acc, params = by_id[run.info.run_id]
        assert run.data.metrics["accuracy"] == acc
        assert run.data.params == {k: str(v) for k, v in params.items()}
        assert run.data.tags["dataset"] == dataset
        assert run.info.status == "FINISHED"

    # Metric threshold inside the same filter.
    threshold = sorted(acc for _, acc, _ in trials_seen)[MAX_EVALS // 2]
    good = client.search_runs(
        [experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent_id}' AND metrics.accuracy >= {threshold!r}",
        order_by=["metrics.accuracy DESC"],
    )
    assert sorted(r.info.run_id for r in good) == sorted(rid for rid, acc, _ in trials_seen if acc >= threshold)

    # The best child via the DataFrame API, and the parent's summary.
    df = mlflow.search_runs(
        [experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent_id}'",
        order_by=["metrics.accuracy DESC"],
        max_results=1,
    )
    assert list(df["run_id"]) == [children[0].info.run_id]
    assert df["metrics.accuracy"].iloc[0] == best_accuracy
    parent_run = client.get_run(parent_id)
    assert parent_run.info.status == "FINISHED"
    assert parent_run.data.metrics["best_accuracy"] == best_accuracy
    assert parent_run.data.params == {f"best_{k}": str(v) for k, v in best.items()}
