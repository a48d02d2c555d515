"""Run lifecycle through the real client: create, status, nesting, delete/restore, rename, terminate."""

from __future__ import annotations

import getpass

import mlflow
import pytest
from mlflow.entities import RunStatus, ViewType
from mlflow.tracking.context.registry import resolve_tags
from runboard_helpers import assert_server_alive, ids, now_ms, raises_mlflow, unique


def test_start_run_records_system_tags_and_finishes(client, experiment_id):
    expected_context = resolve_tags()  # exactly what the client sends: mlflow.user, mlflow.source.*, ...
    before = now_ms()
    with mlflow.start_run(run_name="first-run", tags={"team": "alpha"}, description="my notes") as run:
        run_id = run.info.run_id
        assert run.info.status == "RUNNING"
        assert run.info.lifecycle_stage == "active"
        assert run.info.run_name == "first-run"
        assert run.info.experiment_id == experiment_id
        active = client.get_run(run_id)
        assert active.info.status == "RUNNING"
        assert active.info.end_time is None
    after = now_ms()

    assert len(run_id) == 32 and all(c in "0123456789abcdef" for c in run_id)
    got = client.get_run(run_id)
    assert got.info.run_id == run_id
    assert got.info.status == "FINISHED"
    assert got.info.run_name == "first-run"
    assert got.info.experiment_id == experiment_id
    assert got.info.user_id == getpass.getuser()
    assert got.info.lifecycle_stage == "active"
    assert before - 5000 <= got.info.start_time <= got.info.end_time <= after + 5000
    tags = got.data.tags
    assert tags["mlflow.runName"] == "first-run"
    assert tags["mlflow.user"] == getpass.getuser()
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.source.name"] == expected_context["mlflow.source.name"]
    for key, value in expected_context.items():
        assert tags.get(key) == value, key
    assert tags["team"] == "alpha"
    assert tags["mlflow.note.content"] == "my notes"
    assert "mlflow.parentRunId" not in tags
    assert got.data.params == {} and got.data.metrics == {}


def test_run_failed_when_block_raises(client, experiment_id):
    with pytest.raises(ValueError, match="boom"):
        with mlflow.start_run() as run:
            mlflow.log_param("before", "crash")
            raise ValueError("boom")
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FAILED"
    assert got.info.end_time is not None and got.info.end_time >= got.info.start_time
    assert got.data.params == {"before": "crash"}
    assert mlflow.active_run() is None


def test_end_run_with_status(client, experiment_id):
    mlflow.start_run()
    run_id = mlflow.active_run().info.run_id
    mlflow.end_run(status="KILLED")
    assert client.get_run(run_id).info.status == "KILLED"
    assert mlflow.last_active_run().info.run_id == run_id


def test_generated_run_name_matches_tag(client, experiment_id):
    with mlflow.start_run() as run:
        pass
    got = client.get_run(run.info.run_id)
    assert got.info.run_name
    assert got.data.tags["mlflow.runName"] == got.info.run_name


def test_create_run_all_args(client, experiment_id):
    start = 1_700_000_000_123
    tags = {"mlflow.user": "alice", "mlflow.source.name": "train.py", "mlflow.source.type": "LOCAL", "x": "y"}
    run = client.create_run(experiment_id, start_time=start, tags=tags, run_name="explicit")
    info = run.info
    assert info.start_time == start
    assert info.run_name == "explicit"
    assert info.user_id == "alice"
    assert info.status == "RUNNING"
    assert info.end_time is None
    assert run.data.tags == {**tags, "mlflow.runName": "explicit"}

    found = client.search_runs([experiment_id])
    assert ids(found) == [info.run_id]
    assert dict(found[0].info) == dict(client.get_run(info.run_id).info)


def test_create_run_defaults(client, experiment_id):
    run = client.create_run(experiment_id)
    assert run.info.user_id == "unknown"
    assert run.info.run_name
    assert run.data.tags == {"mlflow.runName": run.info.run_name}


def test_nested_runs_and_search_children(client, experiment_id):
    with mlflow.start_run(run_name="parent") as parent:
        with mlflow.start_run(run_name="child-1", nested=True) as child1:
            mlflow.log_metric("m", 1.0)
        with mlflow.start_run(run_name="child-2", nested=True) as child2:
            with mlflow.start_run(run_name="grandchild", nested=True) as grandchild:
                pass
    parent_id = parent.info.run_id
    assert client.get_run(child1.info.run_id).data.tags["mlflow.parentRunId"] == parent_id
    assert client.get_run(child2.info.run_id).data.tags["mlflow.parentRunId"] == parent_id
    assert client.get_run(grandchild.info.run_id).data.tags["mlflow.parentRunId"] == child2.info.run_id
    assert "mlflow.parentRunId" not in client.get_run(parent_id).data.tags
    for run_id in (parent_id, child1.info.run_id, child2.info.run_id, grandchild.info.run_id):
        assert client.get_run(run_id).info.status == "FINISHED"

    children = client.search_runs(
        [experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent_id}'", order_by=["attributes.run_name ASC"]
    )
    assert ids(children) == [child1.info.run_id, child2.info.run_id]
    assert client.get_parent_run(child1.info.run_id).info.run_id == parent_id
    assert client.get_parent_run(parent_id) is None

    df = mlflow.search_runs([experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent_id}'")
    assert sorted(df["tags.mlflow.runName"]) == ["child-1", "child-2"]


def test_start_run_with_parent_run_id(client, experiment_id):
    parent = client.create_run(experiment_id, run_name="outer")
    with mlflow.start_run(parent_run_id=parent.info.run_id, nested=True) as child:
        pass
    assert client.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id


def test_delete_and_restore_run(client, experiment_id):
    keep = client.create_run(experiment_id, run_name="keep").info.run_id
    gone = client.create_run(experiment_id, run_name="gone").info.run_id

    client.delete_run(gone)
    assert client.get_run(gone).info.lifecycle_stage == "deleted"
    assert ids(client.search_runs([experiment_id])) == [keep]
    assert ids(client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)) == [gone]
    assert sorted(ids(client.search_runs([experiment_id], run_view_type=ViewType.ALL))) == sorted([keep, gone])
    df = mlflow.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert list(df["run_id"]) == [gone]

    client.restore_run(gone)
    assert client.get_run(gone).info.lifecycle_stage == "active"
    assert sorted(ids(client.search_runs([experiment_id]))) == sorted([keep, gone])
    assert ids(client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)) == []

    mlflow.delete_run(keep)
    assert client.get_run(keep).info.lifecycle_stage == "deleted"


def test_delete_unknown_run(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.delete_run("0123456789abcdef0123456789abcdef")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.restore_run("0123456789abcdef0123456789abcdef")
    assert_server_alive(client)


def test_update_run_name_keeps_status(client, experiment_id):
    with mlflow.start_run(run_name="before") as run:
        pass
    run_id = run.info.run_id
    client.update_run(run_id, name="after")
    got = client.get_run(run_id)
    assert got.info.run_name == "after"
    assert got.data.tags["mlflow.runName"] == "after"
    assert got.info.status == "FINISHED"
    found = client.search_runs([experiment_id], filter_string="attributes.run_name = 'after'")
    assert ids(found) == [run_id]

    client.update_run(run_id, status="KILLED")
    got = client.get_run(run_id)
    assert got.info.status == "KILLED"
    assert got.info.run_name == "after"


def test_set_tag_run_name_renames_run(client, experiment_id):
    run_id = client.create_run(experiment_id, run_name="orig").info.run_id
    client.set_tag(run_id, "mlflow.runName", "via-tag")
    got = client.get_run(run_id)
    assert got.info.run_name == "via-tag"
    assert got.data.tags["mlflow.runName"] == "via-tag"


def test_set_terminated_defaults_and_status(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    assert client.get_run(run_id).info.end_time is None
    before = now_ms()
    client.set_terminated(run_id)
    after = now_ms()
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert before - 5000 <= got.info.end_time <= after + 5000

    other = client.create_run(experiment_id).info.run_id
    client.set_terminated(other, status="FAILED", end_time=1_800_000_000_000)
    got = client.get_run(other)
    assert got.info.status == "FAILED"
    assert got.info.end_time == 1_800_000_000_000
    assert RunStatus.is_terminated(RunStatus.from_string(got.info.status))

    killed = client.create_run(experiment_id).info.run_id
    client.set_terminated(killed, status="KILLED")
    assert client.get_run(killed).info.status == "KILLED"


def test_delete_tag(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.set_tag(run_id, "a", "1")
    client.set_tag(run_id, "b", "")
    client.set_tag(run_id, "a", "2")  # tags are mutable
    assert {k: v for k, v in client.get_run(run_id).data.tags.items() if not k.startswith("mlflow.")} == {
        "a": "2",
        "b": "",
    }
    client.delete_tag(run_id, "a")
    assert "a" not in client.get_run(run_id).data.tags
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.delete_tag(run_id, "a")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.delete_tag("0123456789abcdef0123456789abcdef", "a")
    client.delete_run(run_id)
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.delete_tag(run_id, "b")
    assert_server_alive(client)


def test_resume_run_by_id(client, experiment_id):
    with mlflow.start_run(run_name="resumable") as run:
        mlflow.log_param("p", "1")
    run_id = run.info.run_id
    assert client.get_run(run_id).info.status == "FINISHED"
    with mlflow.start_run(run_id=run_id):
        assert client.get_run(run_id).info.status == "RUNNING"
        mlflow.log_metric("later", 2.0)
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert got.data.params == {"p": "1"}
    assert got.data.metrics == {"later": 2.0}


def test_runs_in_separate_experiments(client):
    exp_a = client.create_experiment(unique("runs-a"))
    exp_b = client.create_experiment(unique("runs-b"))
    run_a = client.create_run(exp_a).info.run_id
    run_b = client.create_run(exp_b).info.run_id
    assert ids(client.search_runs([exp_a])) == [run_a]
    assert ids(client.search_runs([exp_b])) == [run_b]
    assert sorted(ids(client.search_runs([exp_a, exp_b]))) == sorted([run_a, run_b])
    with mlflow.start_run(experiment_id=exp_b) as run:
        pass
    assert client.get_run(run.info.run_id).info.experiment_id == exp_b
