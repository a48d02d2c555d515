"""Experiments through the real client: create/get/set/search/delete/restore/rename and tags."""

from __future__ import annotations

import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType
from runboard_helpers import assert_server_alive, now_ms, raises_mlflow, unique


def test_default_experiment_exists(client):
    default = client.get_experiment("0")
    assert default.experiment_id == "0"
    assert default.name == "Default"
    assert default.lifecycle_stage == "active"
    assert client.get_experiment_by_name("Default").experiment_id == "0"


def test_create_experiment_with_tags_and_artifact_location(client):
    name = unique("exp-tags")
    location = f"mlflow-artifacts:/custom/{unique('loc')}"
    before = now_ms()
    exp_id = client.create_experiment(
        name,
        artifact_location=location,
        tags={"team": "alpha", "mlflow.note.content": "line one\nline two", "empty": ""},
    )
    after = now_ms()
    assert isinstance(exp_id, str) and exp_id.isdigit() and exp_id != "0"

    exp = client.get_experiment(exp_id)
    assert exp.experiment_id == exp_id
    assert exp.name == name
    assert exp.artifact_location == location
    assert exp.lifecycle_stage == "active"
    assert exp.tags == {"team": "alpha", "mlflow.note.content": "line one\nline two", "empty": ""}
    assert before - 5000 <= exp.creation_time <= after + 5000
    assert exp.last_update_time >= exp.creation_time

    by_name = client.get_experiment_by_name(name)
    assert by_name.experiment_id == exp_id
    assert by_name.artifact_location == location
    assert by_name.tags == exp.tags

    # A run's artifact root lives under the experiment's location.
    run = client.create_run(exp_id)
    assert run.info.artifact_uri == f"{location}/{run.info.run_id}/artifacts"


def test_default_artifact_location_is_proxied(client):
    exp_id = client.create_experiment(unique("exp-default-loc"))
    exp = client.get_experiment(exp_id)
    assert exp.artifact_location == f"mlflow-artifacts:/{exp_id}"
    run = client.create_run(exp_id)
    assert run.info.artifact_uri == f"mlflow-artifacts:/{exp_id}/{run.info.run_id}/artifacts"


def test_get_experiment_by_name_unknown_returns_none(client):
    assert client.get_experiment_by_name(unique("does-not-exist")) is None
    assert mlflow.get_experiment_by_name(unique("does-not-exist")) is None
    assert_server_alive(client)


def test_get_experiment_unknown_id(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_experiment("987654321")
    assert_server_alive(client)


def test_set_experiment_creates_then_reuses(client):
    name = unique("set-exp")
    assert client.get_experiment_by_name(name) is None
    first = mlflow.set_experiment(name)
    assert first.name == name
    assert first.lifecycle_stage == "active"
    second = mlflow.set_experiment(name)
    assert second.experiment_id == first.experiment_id
    matches = client.search_experiments(filter_string=f"name = '{name}'")
    assert [e.experiment_id for e in matches] == [first.experiment_id]

    by_id = mlflow.set_experiment(experiment_id=first.experiment_id)
    assert by_id.name == name
    with mlflow.start_run() as run:
        pass
    assert client.get_run(run.info.run_id).info.experiment_id == first.experiment_id


def test_set_experiment_refuses_deleted_experiment(client):
    name = unique("set-deleted")
    exp_id = client.create_experiment(name)
    client.delete_experiment(exp_id)
    # get-by-name must still find the deleted experiment; the client then refuses it.
    found = client.get_experiment_by_name(name)
    assert found is not None and found.experiment_id == exp_id and found.lifecycle_stage == "deleted"
    with raises_mlflow("INVALID_PARAMETER_VALUE", match="Cannot set a deleted experiment"):
        mlflow.set_experiment(name)
    # The name stays taken while the experiment is deleted.
    with raises_mlflow("RESOURCE_ALREADY_EXISTS"):
        client.create_experiment(name)
    assert_server_alive(client)


def test_delete_and_restore_experiment(client):
    name = unique("del-restore")
    exp_id = client.create_experiment(name)
    run = client.create_run(exp_id)
    run_id = run.info.run_id

    client.delete_experiment(exp_id)
    exp = client.get_experiment(exp_id)
    assert exp.lifecycle_stage == "deleted"
    assert exp.name == name
    assert exp_id not in [e.experiment_id for e in client.search_experiments(filter_string=f"name = '{name}'")]
    deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY, filter_string=f"name = '{name}'")
    assert [e.experiment_id for e in deleted] == [exp_id]
    everything = client.search_experiments(view_type=ViewType.ALL, filter_string=f"name = '{name}'")
    assert [e.experiment_id for e in everything] == [exp_id]
    # Deleting an experiment soft-deletes its runs.
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    # No new runs in a deleted experiment.
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.create_run(exp_id)

    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    assert [e.experiment_id for e in client.search_experiments(filter_string=f"name = '{name}'")] == [exp_id]


def test_delete_unknown_experiment(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.delete_experiment("987654321")
    assert_server_alive(client)


def test_rename_experiment(client):
    old = unique("old-name")
    new = unique("new-name")
    exp_id = client.create_experiment(old)
    created = client.get_experiment(exp_id)
    time.sleep(0.01)
    client.rename_experiment(exp_id, new)
    renamed = client.get_experiment(exp_id)
    assert renamed.name == new
    assert renamed.creation_time == created.creation_time
    assert renamed.last_update_time >= created.last_update_time
    assert client.get_experiment_by_name(old) is None
    assert client.get_experiment_by_name(new).experiment_id == exp_id

    other = unique("taken")
    client.create_experiment(other)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS"):
        client.rename_experiment(exp_id, other)
    assert client.get_experiment(exp_id).name == new


def test_set_and_delete_experiment_tag(client):
    exp_id = client.create_experiment(unique("exp-tag"), tags={"keep": "me"})
    other_id = client.create_experiment(unique("exp-tag-other"))
    client.set_experiment_tag(exp_id, "stage", "dev")
    client.set_experiment_tag(exp_id, "multi", "a\nb\nc")
    client.set_experiment_tag(exp_id, "blank", "")
    client.set_experiment_tag(exp_id, "stage", "prod")  # upsert
    assert client.get_experiment(exp_id).tags == {"keep": "me", "stage": "prod", "multi": "a\nb\nc", "blank": ""}
    assert client.get_experiment(other_id).tags == {}

    client.delete_experiment_tag(exp_id, "stage")
    assert client.get_experiment(exp_id).tags == {"keep": "me", "multi": "a\nb\nc", "blank": ""}
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.delete_experiment_tag(exp_id, "stage")
    assert_server_alive(client)

    # Fluent variants against the active experiment.
    mlflow.set_experiment(experiment_id=other_id)
    mlflow.set_experiment_tags({"x": "1", "y": "2"})
    assert client.get_experiment(other_id).tags == {"x": "1", "y": "2"}


def test_search_experiments_filters_order_and_paging(client):
    prefix = unique("srch")
    names = [f"{prefix}-c", f"{prefix}-a", f"{prefix}-B", f"{prefix}-b2"]
    ids = {}
    for i, name in enumerate(names):
        ids[name] = client.create_experiment(name, tags={"idx": str(i), "kind": "even" if i % 2 == 0 else "odd"})
        time.sleep(0.005)  # distinct creation times
    scope = f"name LIKE '{prefix}-%'"

    # Default order: creation_time DESC.
    found = client.search_experiments(filter_string=scope)
    assert [e.name for e in found] == list(reversed(names))

    found = client.search_experiments(filter_string=scope, order_by=["name ASC"])
    assert [e.name for e in found] == sorted(names)  # byte order: upper case first
    found = client.search_experiments(filter_string=scope, order_by=["name DESC"])
    assert [e.name for e in found] == sorted(names, reverse=True)
    found = client.search_experiments(filter_string=scope, order_by=["creation_time ASC"])
    assert [e.name for e in found] == names
    found = client.search_experiments(filter_string=scope, order_by=["experiment_id DESC"])
    assert [e.experiment_id for e in found] == sorted(ids.values(), key=int, reverse=True)

    found = client.search_experiments(filter_string=f"{scope} AND tags.kind = 'even'", order_by=["name ASC"])
    assert [e.name for e in found] == sorted([names[0], names[2]])
    found = client.search_experiments(filter_string=f"{scope} AND tag.idx != '0'", order_by=["name ASC"])
    assert [e.name for e in found] == sorted(names[1:])
    found = client.search_experiments(filter_string=f"name ILIKE '{prefix}-b%'", order_by=["name ASC"])
    assert [e.name for e in found] == [f"{prefix}-B", f"{prefix}-b2"]
    found = client.search_experiments(filter_string=f"name LIKE '{prefix}-b%'")
    assert [e.name for e in found] == [f"{prefix}-b2"]
    found = client.search_experiments(filter_string=f"attribute.name = '{prefix}-a'")
    assert [e.experiment_id for e in found] == [ids[f"{prefix}-a"]]
    created_a = client.get_experiment(ids[f"{prefix}-a"]).creation_time
    found = client.search_experiments(
        filter_string=f"{scope} AND creation_time >= {created_a}", order_by=["creation_time ASC"]
    )
    assert [e.name for e in found] == names[1:]

    # Paging: 4 experiments, pages of 3 and 1; the last page has no token.
    page1 = client.search_experiments(filter_string=scope, max_results=3, order_by=["name ASC"])
    assert [e.name for e in page1] == sorted(names)[:3]
    assert page1.token
    page2 = client.search_experiments(filter_string=scope, max_results=3, order_by=["name ASC"], page_token=page1.token)
    assert [e.name for e in page2] == sorted(names)[3:]
    assert not page2.token

    # The fluent helper pages through everything.
    assert sorted(e.name for e in mlflow.search_experiments(filter_string=scope)) == sorted(names)


def test_search_experiments_reference_examples(fresh_server):
    """The examples table of the reference (section 7.3): fresh store with Default, then a, ab, Abc."""
    client = MlflowClient(tracking_uri=fresh_server.url)
    client.create_experiment("a", tags={"key": "value"})
    time.sleep(0.01)
    client.create_experiment("ab", tags={"key": "vaLue"})
    time.sleep(0.01)
    client.create_experiment("Abc")

    def names(**kwargs):
        return [e.name for e in client.search_experiments(**kwargs)]

    assert names() == ["Abc", "ab", "a", "Default"]
    assert names(filter_string="attribute.name = 'a'") == ["a"]
    assert names(filter_string="attribute.name != 'a'") == ["Abc", "ab", "Default"]
    assert names(filter_string="name LIKE 'a%'") == ["ab", "a"]
    assert names(filter_string="tag.key = 'value'") == ["a"]
    assert names(filter_string="tag.key != 'value'") == ["ab"]
    assert names(filter_string="tag.key ILIKE '%alu%'") == ["ab", "a"]
    assert names(order_by=["name DESC"]) == ["ab", "a", "Default", "Abc"]

    page1 = client.search_experiments(max_results=2)
    assert [e.name for e in page1] == ["Abc", "ab"]
    assert page1.token
    page2 = client.search_experiments(max_results=2, page_token=page1.token)
    assert [e.name for e in page2] == ["a", "Default"]
    assert not page2.token

    # View types.
    ab = client.get_experiment_by_name("ab")
    client.delete_experiment(ab.experiment_id)
    assert names() == ["Abc", "a", "Default"]
    assert names(view_type=ViewType.DELETED_ONLY) == ["ab"]
    assert names(view_type=ViewType.ALL) == ["Abc", "ab", "a", "Default"]
    single = client.search_experiments(max_results=1, filter_string="name = 'a'")
    assert [e.name for e in single] == ["a"] and not single.token
