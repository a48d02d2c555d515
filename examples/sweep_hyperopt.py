"""A hyperopt sweep: one parent run, one nested run per trial, the best trial easy to find."""
import mlflow
from hyperopt import STATUS_OK, Trials, fmin, hp, tpe
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score
import numpy as np

X, y = load_wine(return_X_y=True)
space = {
    "n_estimators": hp.quniform("n_estimators", 10, 80, 10),
    "max_depth": hp.quniform("max_depth", 2, 8, 1),
}


def objective(params):
    params = {k: int(v) for k, v in params.items()}
    with mlflow.start_run(nested=True):
        mlflow.log_params(params)
        model = RandomForestClassifier(random_state=0, **params)
        accuracy = cross_val_score(model, X, y, cv=3).mean()
        mlflow.log_metric("accuracy", accuracy)
    return {"loss": -accuracy, "status": STATUS_OK}


mlflow.set_experiment("examples")
with mlflow.start_run(run_name="rf-sweep"):
    best = fmin(objective, space, algo=tpe.suggest, max_evals=12, trials=Trials(), rstate=np.random.default_rng(0))
    mlflow.log_params({f"best_{k}": int(v) for k, v in best.items()})
    print("best", best)
