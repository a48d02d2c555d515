"""Writes the seed's flows with the real mlflow client into the tracking URI in MLFLOW_TRACKING_URI: what an
existing MLflow project's store holds. Runs under mlflow 3.18 (.venv) and 2.22 (.venv-mlflow2) alike.

  - "seed-manual": an experiment with tags and a description; three runs with params, metric histories (a NaN
    and an infinity among the points), tags, a note, dataset inputs and artifacts (text, JSON, a PNG, nested
    folders); one run FAILED, one deleted;
  - "seed-sweep": a small hyperopt sweep, a parent run with nested trial runs;
  - "seed-autolog": sklearn autolog (params, metrics, dataset input, the model);
  - "seed-registry": two runs logging a sklearn model, registered as "seed-classifier" versions 1 and 2 with
    a description, stages (v1 Staging -> Archived, v2 Production), an alias and model/version tags; a second
    model "seed-regressor" with one version in None.

Usage: python seed_store.py    (cwd = the store folder; MLFLOW_TRACKING_URI set by the caller)
Prints one JSON line: {"mlflow_version", "experiments": {name: id}, "runs": count}.
"""
import json
import math
import os
import tempfile

import matplotlib

matplotlib.use("Agg")  # no display here
import matplotlib.pyplot as plt  # noqa: E402
import mlflow  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from hyperopt import STATUS_OK, Trials, fmin, hp, tpe  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402

MLFLOW_MAJOR = int(mlflow.__version__.split(".")[0])
client = MlflowClient()
experiments = {}
run_count = 0


def log_model(model, name):
    """mlflow 3 names a logged model (`name=`); mlflow 2 logs it under the run's artifact path."""
    if MLFLOW_MAJOR >= 3:
        return mlflow.sklearn.log_model(model, name=name)
    return mlflow.sklearn.log_model(model, artifact_path=name)


def started(name, **kwargs):
    global run_count
    run_count += 1
    return mlflow.start_run(run_name=name, **kwargs)


# ------------------------------------------------------------------ manual logging
experiment = mlflow.set_experiment("seed-manual")
experiments["seed-manual"] = experiment.experiment_id
client.set_experiment_tag(experiment.experiment_id, "team", "vision")
client.set_experiment_tag(experiment.experiment_id, "mlflow.note.content", "Manual logging, the way most scripts do it.")

iris = load_iris(as_frame=True).frame
train_ds = mlflow.data.from_pandas(iris.iloc[:120], name="iris-train", targets="target")
eval_ds = mlflow.data.from_pandas(iris.iloc[120:], name="iris-eval", targets="target")
manual_ids = []
for index, (name, lr, status) in enumerate([("sgd-fast", 0.1, "FINISHED"), ("adam-slow", 0.01, "FINISHED"), ("diverged", 0.9, "FAILED")]):
    with started(name) as run:
        manual_ids.append(run.info.run_id)
        mlflow.log_params({"learning_rate": lr, "optimizer": "sgd" if lr > 0.05 else "adam", "epochs": 30})
        mlflow.set_tags({"team": "vision", "stage": "baseline", "mlflow.note.content": f"Run {name}: lr={lr}"})
        mlflow.log_input(train_ds, context="training", tags={"split": "train"})
        mlflow.log_input(eval_ds, context="evaluation")
        loss = 2.0
        for step in range(30):
            loss = loss * (1 - lr) + 0.01 * math.sin(step + index)
            mlflow.log_metrics({"loss": loss, "accuracy": 1 - math.exp(-step / (8 + index))}, step=step)
        # Two points on one step, a NaN and an infinity: histories are more than one value per step.
        mlflow.log_metric("grad_norm", 1.5, step=0)
        mlflow.log_metric("grad_norm", 1.25, step=0)
        mlflow.log_metric("grad_norm", float("nan") if status == "FAILED" else 0.5, step=1)
        mlflow.log_metric("grad_norm", float("inf") if status == "FAILED" else 0.25, step=2)
        mlflow.log_text(f"notes of {name}\n", "notes/summary.txt")
        mlflow.log_dict({"final_loss": loss, "lr": lr}, "summary.json")
        mlflow.log_dict({"layers": [4, 16, 3]}, "config/model/arch.json")
        figure, axes = plt.subplots(figsize=(3, 2))
        axes.plot(np.arange(30), np.exp(-np.arange(30) * lr))
        mlflow.log_figure(figure, "plots/loss.png")
        plt.close(figure)
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, "weights.bin"), "wb") as handle:
                handle.write(bytes(range(256)) * 40)  # binary, not UTF-8
            mlflow.log_artifact(os.path.join(folder, "weights.bin"), "checkpoints")
    if status == "FAILED":
        client.set_terminated(run.info.run_id, status="FAILED")

# A run someone deleted: it stays in the store, in the deleted lifecycle.
with started("discarded") as run:
    mlflow.log_param("reason", "typo in config")
    mlflow.log_metric("loss", 9.0)
client.delete_run(run.info.run_id)

# ------------------------------------------------------------------ a hyperopt sweep with nested runs
experiment = mlflow.set_experiment("seed-sweep")
experiments["seed-sweep"] = experiment.experiment_id
client.set_experiment_tag(experiment.experiment_id, "kind", "sweep")
X_iris, y_iris = load_iris(return_X_y=True)


def objective(params):
    params = {"C": round(float(params["C"]), 4), "max_iter": int(params["max_iter"])}
    with started(None, nested=True):
        mlflow.log_params(params)
        accuracy = LogisticRegression(**params).fit(X_iris[::2], y_iris[::2]).score(X_iris[1::2], y_iris[1::2])
        mlflow.log_metric("accuracy", accuracy)
    return {"loss": -accuracy, "status": STATUS_OK}


with started("lr-sweep"):
    space = {"C": hp.loguniform("C", -3, 2), "max_iter": hp.quniform("max_iter", 50, 300, 50)}
    best = fmin(objective, space, algo=tpe.suggest, max_evals=4, trials=Trials(), rstate=np.random.default_rng(0), show_progressbar=False)
    mlflow.log_params({f"best_{key}": value for key, value in best.items()})

# ------------------------------------------------------------------ sklearn autolog
experiment = mlflow.set_experiment("seed-autolog")
experiments["seed-autolog"] = experiment.experiment_id
mlflow.sklearn.autolog(log_input_examples=False, silent=True)
X_frame, y_frame = load_iris(return_X_y=True, as_frame=True)
with started("autolog-logreg"):
    LogisticRegression(max_iter=300).fit(X_frame, y_frame)
mlflow.sklearn.autolog(disable=True)

# ------------------------------------------------------------------ the model registry
experiment = mlflow.set_experiment("seed-registry")
experiments["seed-registry"] = experiment.experiment_id
model_uris = []
for name, C in [("classifier-v1", 0.5), ("classifier-v2", 2.0)]:
    with started(name) as run:
        mlflow.log_param("C", C)
        model = LogisticRegression(C=C, max_iter=300).fit(X_iris, y_iris)
        mlflow.log_metric("accuracy", model.score(X_iris, y_iris))
        log_model(model, "model")
        model_uris.append(f"runs:/{run.info.run_id}/model")

registered = "seed-classifier"
client.create_registered_model(registered, tags={"owner": "vision-team"}, description="Iris classifier")
for uri in model_uris:
    mlflow.register_model(uri, registered)
client.update_model_version(registered, "1", description="first try")
client.set_model_version_tag(registered, "1", "validated", "false")
client.set_model_version_tag(registered, "2", "validated", "true")
client.transition_model_version_stage(registered, "1", "Staging")
client.transition_model_version_stage(registered, "2", "Production")
client.transition_model_version_stage(registered, "1", "Archived")
client.set_registered_model_alias(registered, "champion", "2")
client.set_registered_model_tag(registered, "task", "classification")

X_diabetes, y_diabetes = load_diabetes(return_X_y=True)
with started("regressor") as run:
    log_model(Ridge().fit(X_diabetes, y_diabetes), "model")
mlflow.register_model(f"runs:/{run.info.run_id}/model", "seed-regressor")

print(json.dumps({"mlflow_version": mlflow.__version__, "experiments": experiments, "runs": run_count}))
