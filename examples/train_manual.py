"""Manual logging: params, metrics over steps, tags and an artifact, the way most training scripts do it."""
import json
import math
import random

import mlflow

mlflow.set_experiment("examples")

with mlflow.start_run(run_name="manual-logging") as run:
    lr = 0.05
    mlflow.log_params({"learning_rate": lr, "epochs": 30, "optimizer": "sgd"})
    mlflow.set_tag("team", "examples")
    random.seed(7)
    loss = 2.0
    for step in range(30):
        loss = loss * (1 - lr) + random.uniform(-0.02, 0.02)
        mlflow.log_metrics({"loss": loss, "accuracy": 1 - math.exp(-step / 8)}, step=step)
    mlflow.log_dict({"final_loss": loss}, "summary.json")
    print(json.dumps({"run_id": run.info.run_id, "final_loss": loss}))
