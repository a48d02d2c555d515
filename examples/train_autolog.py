"""sklearn autologging: params, training metrics, the dataset and the model, with no logging calls."""
import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

mlflow.set_experiment("examples")
mlflow.sklearn.autolog()

X, y = load_iris(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=300).fit(X, y)
run = mlflow.last_active_run()
print("autologged run", run.info.run_id, run.data.metrics)
