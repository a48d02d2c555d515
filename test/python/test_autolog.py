"""sklearn autologging: params, training metrics, estimator tags, dataset input and run artifacts.

Models (the logged-models endpoints) are a later issue, so nothing here asserts on the logged model.
Most tests run mlflow.sklearn.autolog(log_models=False), which never touches those endpoints; one
variant runs plain mlflow.autolog() (models on) and checks the same run-level results. Note for that
variant: in mlflow 3.18 the training metrics and artifacts are logged *after* the model, so if model
logging fails, autolog swallows the error with a warning and the run has params/tags/dataset only.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import mlflow.sklearn
import numpy as np
import pytest
from mlflow.utils.autologging_utils import AUTOLOGGING_INTEGRATIONS
from runboard_helpers import mlflow_warnings
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score


def _forget_autolog_configs():
    # mlflow.autolog() leaves alone integrations the user configured explicitly before; start clean.
    AUTOLOGGING_INTEGRATIONS.clear()


@pytest.fixture
def autolog():
    mlflow.sklearn.autolog(log_models=False, log_input_examples=False, silent=False)
    yield "sklearn-no-models"
    mlflow.sklearn.autolog(disable=True)
    _forget_autolog_configs()


@pytest.fixture(params=["sklearn-no-models", "mlflow-autolog-defaults"])
def any_autolog(request):
    if request.param == "sklearn-no-models":
        mlflow.sklearn.autolog(log_models=False, log_input_examples=False, silent=False)
        yield request.param
        mlflow.sklearn.autolog(disable=True)
    else:
        mlflow.autolog()
        yield request.param
        mlflow.autolog(disable=True)
    _forget_autolog_configs()


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def expected_dataset(X, y):
    ds = mlflow.data.from_numpy(X, targets=y)
    return ds.name, ds.digest


def test_autolog_logistic_regression(client, experiment_id, any_autolog, iris):
    X, y = iris
    with mlflow_warnings() as warnings:
        model = LogisticRegression(C=0.5, max_iter=300, random_state=0)
        model.fit(X, y)
    if any_autolog == "sklearn-no-models":
        # Any autologging failure (e.g. a rejected request) is only logged as a warning and swallowed.
        assert not [m for m in warnings if "autolog" in m.lower()], warnings

    run = mlflow.last_active_run()
    assert run is not None
    run = client.get_run(run.info.run_id)
    assert run.info.experiment_id == experiment_id
    assert run.info.status == "FINISHED"

    # Params: every estimator param, stringified.
    expected_params = {k: str(v) for k, v in model.get_params(deep=True).items()}
    assert run.data.params == expected_params
    assert run.data.params["C"] == "0.5"
    assert run.data.params["max_iter"] == "300"

    # Tags.
    tags = run.data.tags
    assert tags["estimator_name"] == "LogisticRegression"
    assert tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert tags["mlflow.autologging"] == "sklearn"

    # Training metrics, computed the same way here.
    pred = model.predict(X)
    metrics = run.data.metrics
    assert metrics["training_accuracy_score"] == pytest.approx(accuracy_score(y, pred), abs=1e-12)
    assert metrics["training_score"] == pytest.approx(model.score(X, y), abs=1e-12)
    assert metrics["training_precision_score"] == pytest.approx(precision_score(y, pred, average="weighted"), abs=1e-12)
    assert metrics["training_recall_score"] == pytest.approx(recall_score(y, pred, average="weighted"), abs=1e-12)
    assert metrics["training_f1_score"] == pytest.approx(f1_score(y, pred, average="weighted"), abs=1e-12)
    assert {"training_log_loss", "training_roc_auc"} <= set(metrics)
    assert 0 < metrics["training_log_loss"] < 1
    history = client.get_metric_history(run.info.run_id, "training_accuracy_score")
    assert len(history) == 1 and history[0].step == 0

    # Dataset input with the training context.
    inputs = run.inputs.dataset_inputs
    assert len(inputs) == 1
    name, digest = expected_dataset(X, y)
    assert inputs[0].dataset.name == name
    assert inputs[0].dataset.digest == digest
    assert inputs[0].dataset.source_type == "code"
    assert {t.key: t.value for t in inputs[0].tags} == {"mlflow.data.context": "train"}

    # Run artifacts: estimator HTML and the confusion matrix plot.
    files = {f.path: f for f in client.list_artifacts(run.info.run_id)}
    assert "estimator.html" in files and not files["estimator.html"].is_dir
    assert "training_confusion_matrix.png" in files
    assert files["training_confusion_matrix.png"].file_size > 1000
    png = Path(client.download_artifacts(run.info.run_id, "training_confusion_matrix.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = Path(client.download_artifacts(run.info.run_id, "estimator.html")).read_text()
    assert "LogisticRegression" in html


def test_autolog_into_an_active_run(client, experiment_id, autolog, iris):
    X, y = iris
    with mlflow.start_run(run_name="manual") as run:
        mlflow.log_param("note", "mine")
        LogisticRegression(max_iter=200, C=2.0).fit(X, y)
        assert mlflow.active_run().info.run_id == run.info.run_id  # autolog reused it
        mlflow.log_metric("after_fit", 1.0)
    got = client.get_run(run.info.run_id)
    assert got.info.run_name == "manual"
    assert got.data.params["note"] == "mine"
    assert got.data.params["C"] == "2.0"
    assert "training_accuracy_score" in got.data.metrics
    assert got.data.metrics["after_fit"] == 1.0
    assert "mlflow.autologging" not in got.data.tags  # the run was not created by autolog
    assert mlflow.last_active_run().info.run_id == run.info.run_id
    # Only one run: autolog did not create another.
    assert [r.info.run_id for r in client.search_runs([experiment_id])] == [run.info.run_id]


def test_autolog_post_training_metric(client, experiment_id, autolog, iris):
    """model.score() on new data after fit is logged to the training run as a post-training metric."""
    X, y = iris
    with mlflow.start_run() as run:
        model = LogisticRegression(max_iter=200).fit(X, y)
        X_eval, y_eval = X[::3], y[::3]
        score = model.score(X_eval, y_eval)
    got = client.get_run(run.info.run_id)
    assert got.data.metrics["LogisticRegression_score_X_eval"] == pytest.approx(score, abs=1e-12)


def test_autolog_two_fits_make_two_runs(client, experiment_id, autolog, iris):
    X, y = iris
    LogisticRegression(max_iter=200, C=0.1).fit(X, y)
    first = mlflow.last_active_run().info.run_id
    LogisticRegression(max_iter=200, C=10.0).fit(X, y)
    second = mlflow.last_active_run().info.run_id
    assert first != second
    assert client.get_run(first).data.params["C"] == "0.1"
    assert client.get_run(second).data.params["C"] == "10.0"
    found = client.search_runs([experiment_id], "tags.estimator_name = 'LogisticRegression'", order_by=["params.C ASC"])
    assert [r.info.run_id for r in found] == [first, second]
    assert np.isclose(found[0].data.metrics["training_accuracy_score"], client.get_run(first).data.metrics["training_accuracy_score"])
