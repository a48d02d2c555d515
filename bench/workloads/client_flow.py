"""The real-client workload: a fixed script of typical mlflow calls against MLFLOW_TRACKING_URI.

Experiments, runs with params/metrics/tags, log_artifact and log_dict, search_runs, and sklearn autolog
(which also logs the model). Prints one JSON line: {"seconds": flow wall time, its manual/search/autolog parts, "import_seconds"}.
It checks what it logged, so a silently failing call fails the workload instead of looking fast.
"""

import json
import math
import os
import sys
import tempfile
import time

started = time.perf_counter()
import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

imported = time.perf_counter()
tag = sys.argv[1] if len(sys.argv) > 1 else "0"
client = MlflowClient()

flow_started = time.perf_counter()
experiment = mlflow.set_experiment(f"client-flow-{tag}")
with tempfile.TemporaryDirectory() as tmp:
    notes = os.path.join(tmp, "notes.txt")
    with open(notes, "w") as f:
        f.write("bench artifact\n" * 100)
    for r in range(3):
        with mlflow.start_run(run_name=f"manual-{r}"):
            lr = 0.01 * (r + 1)
            mlflow.log_params({"learning_rate": lr, "epochs": 20, "optimizer": "sgd"})
            mlflow.set_tags({"team": "bench", "stage": "dev"})
            loss = 2.0
            for step in range(20):
                loss = loss * (1 - lr * 5)
                mlflow.log_metrics({"loss": loss, "accuracy": 1 - math.exp(-step / 8)}, step=step)
            mlflow.log_artifact(notes)
            mlflow.log_dict({"final_loss": loss}, "summary.json")

manual_done = time.perf_counter()
runs = mlflow.search_runs(
    experiment_ids=[experiment.experiment_id],
    filter_string="metrics.loss < 10 AND params.optimizer = 'sgd' AND tags.team = 'bench'",
    order_by=["metrics.loss ASC"],
)
assert len(runs) == 3, f"search_runs found {len(runs)} runs, expected 3"
first = runs.iloc[0]["run_id"]
assert {a.path for a in client.list_artifacts(first)} >= {"notes.txt", "summary.json"}, "artifacts missing"
assert len(client.get_metric_history(first, "loss")) == 20, "metric history incomplete"

search_done = time.perf_counter()
mlflow.sklearn.autolog(log_input_examples=False, silent=True)
X, y = load_iris(return_X_y=True, as_frame=True)
with mlflow.start_run(run_name="autolog") as run:
    LogisticRegression(max_iter=300).fit(X, y)
autologged = client.get_run(run.info.run_id)
assert "training_accuracy_score" in autologged.data.metrics, "autolog metrics missing"
assert mlflow.search_logged_models(experiment_ids=[experiment.experiment_id], output_format="list"), "autolog model missing"
mlflow.sklearn.autolog(disable=True)

done = time.perf_counter()
print(
    json.dumps(
        {
            "seconds": done - flow_started,
            "manual_seconds": manual_done - flow_started,
            "search_seconds": search_done - manual_done,
            "autolog_seconds": done - search_done,
            "import_seconds": imported - started,
        }
    )
)
