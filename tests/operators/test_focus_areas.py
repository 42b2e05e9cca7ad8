from __future__ import annotations

import json

import pytest

from airflow_provider_focus.exceptions import FocusConfigError, FocusServerError
from airflow_provider_focus.links import FocusAreaLink
from airflow_provider_focus.operators.focus import (
    FocusCreateFocusAreaOperator,
    FocusGetFocusAreaOperator,
    FocusListFocusAreasOperator,
    FocusListOrganizationsOperator,
    FocusUpdateFocusAreaOperator,
)
from tests.operators.conftest import API, SITE, focus_area, page, record_log


def test_get_returns_the_focus_area_and_sets_the_link(requests_mock, context):
    requests_mock.get(f"{API}/focus-areas/fa-1", json=focus_area("fa-1", "X-1"))
    op = FocusGetFocusAreaOperator(task_id="get", focus_area_id="fa-1")
    assert op.execute(context)["externalId"] == "X-1"
    assert FocusAreaLink().get_link(op, ti_key=None) == f"{SITE}/focus/focus-areas/fa-1"


def test_get_refuses_an_empty_id_without_io():
    with pytest.raises(FocusConfigError, match="focus_area_id"):
        FocusGetFocusAreaOperator(task_id="get", focus_area_id=" ")


def test_templates_render_with_jinja(context):
    op = FocusListFocusAreasOperator(
        task_id="list",
        focus_conn_id="{{ params.conn }}",
        name_contains="{{ ds }}",
        output_path="file:///tmp/export/{{ ds }}/fa.jsonl",
        max_items="{{ params.n }}",
    )
    op.render_template_fields({**context, "params": {"conn": "focus_other", "n": 7}})
    assert op.focus_conn_id == "focus_other"
    assert op.name_contains == "2025-03-01"
    assert op.output_path == "file:///tmp/export/2025-03-01/fa.jsonl"
    assert op.max_items == "7"


def test_every_user_facing_argument_is_templated():
    assert set(FocusListFocusAreasOperator.template_fields) == {
        "focus_conn_id",
        "name_contains",
        "external_id",
        "parent_id",
        "sort",
        "max_items",
        "output_path",
        "updated_since",
    }
    assert set(FocusCreateFocusAreaOperator.template_fields) == {
        "focus_conn_id",
        "name",
        "focus_area_type_id",
        "fields",
    }
    assert set(FocusUpdateFocusAreaOperator.template_fields) == {
        "focus_conn_id",
        "focus_area_id",
        "fields",
        "update_mask",
    }


def test_list_sends_filters_and_returns_the_list(requests_mock, context):
    requests_mock.get(
        f"{API}/focus-areas",
        [{"json": page([focus_area("fa-1")], "c2")}, {"json": page([focus_area("fa-2")])}],
    )
    op = FocusListFocusAreasOperator(task_id="list", name_contains="growth", sort="name", parent_id="fa-0")
    assert [fa["id"] for fa in op.execute(context)] == ["fa-1", "fa-2"]
    first = requests_mock.request_history[0].qs
    assert first["namecontains"] == ["growth"]
    assert first["sort"] == ["name"]
    assert first["parentid"] == ["fa-0"]
    assert requests_mock.request_history[1].qs["cursor"] == ["c2"]


def test_list_refuses_more_than_the_xcom_cap_and_says_to_use_output_path(requests_mock, context):
    requests_mock.get(f"{API}/focus-areas", json=page([focus_area(f"fa-{i}") for i in range(4)]))
    op = FocusListFocusAreasOperator(task_id="list", max_xcom_items=3)
    with pytest.raises(FocusConfigError, match="output_path"):
        op.execute(context)
    # it asked for no more than cap + 1
    assert requests_mock.request_history[0].qs["limit"] == ["4"]


def test_list_default_cap_is_1000():
    assert FocusListFocusAreasOperator(task_id="list").max_xcom_items == 1000


def test_list_streams_json_lines_to_output_path(requests_mock, context, tmp_path):
    requests_mock.get(
        f"{API}/focus-areas",
        [{"json": page([focus_area("fa-1"), focus_area("fa-2")], "c2")}, {"json": page([focus_area("fa-3")])}],
    )
    target = tmp_path / "out" / "fa.jsonl"
    op = FocusListFocusAreasOperator(task_id="list", output_path=f"file://{target}")
    result = op.execute(context)
    assert result == {"path": f"file://{target}", "count": 3}
    lines = target.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["fa-1", "fa-2", "fa-3"]
    assert [p.name for p in target.parent.iterdir()] == ["fa.jsonl"]


def test_a_failed_export_leaves_no_file_under_the_final_name(requests_mock, context, tmp_path):
    requests_mock.get(
        f"{API}/focus-areas", [{"json": page([focus_area("fa-1")], "c2")}, {"status_code": 500, "text": "<html>"}]
    )
    target = tmp_path / "fa.jsonl"
    target.write_text("yesterday\n")
    op = FocusListFocusAreasOperator(task_id="list", output_path=str(target))
    with pytest.raises(FocusServerError):
        op.execute(context)
    assert target.read_text() == "yesterday\n"
    assert [p.name for p in tmp_path.iterdir()] == ["fa.jsonl"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_items": 0}, "max_items"),
        ({"max_items": "ten"}, "max_items"),
        ({"max_xcom_items": -1}, "max_xcom_items"),
    ],
)
def test_list_validates_arguments_in_init(kwargs, message):
    with pytest.raises(FocusConfigError, match=message):
        FocusListFocusAreasOperator(task_id="list", **kwargs)


def test_create_returns_the_new_id_and_sends_the_fields(requests_mock, context):
    requests_mock.post(f"{API}/focus-areas", json=focus_area("fa-9", "NEW-1"), status_code=201)
    op = FocusCreateFocusAreaOperator(
        task_id="create",
        name="New",
        focus_area_type_id="fat-project",
        fields={"externalId": "NEW-1", "description": None},
    )
    assert op.execute(context) == "fa-9"
    assert requests_mock.last_request.json() == {
        "name": "New",
        "focusAreaTypeId": "fat-project",
        "externalId": "NEW-1",
    }
    assert FocusAreaLink().get_link(op, ti_key=None).endswith("/focus/focus-areas/fa-9")


def create_operator() -> FocusCreateFocusAreaOperator:
    return FocusCreateFocusAreaOperator(
        task_id="create", name="New", focus_area_type_id="fat-project", fields={"externalId": "NEW-1"}
    )


def test_create_on_a_retry_uses_what_an_earlier_try_made(requests_mock, context):
    context["ti"].try_number = 2
    requests_mock.get(f"{API}/focus-areas", json=page([focus_area("fa-7", "NEW-1")]))
    requests_mock.post(f"{API}/focus-areas", json=focus_area("fa-dup", "NEW-1"), status_code=201)
    assert create_operator().execute(context) == "fa-7"
    assert [r.method for r in requests_mock.request_history] == ["GET"]
    assert requests_mock.last_request.qs == {"externalid": ["new-1"]}


def test_create_on_a_retry_creates_when_no_earlier_try_did(requests_mock, context):
    context["ti"].try_number = 3
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    requests_mock.post(f"{API}/focus-areas", json=focus_area("fa-8", "NEW-1"), status_code=201)
    assert create_operator().execute(context) == "fa-8"
    assert [r.method for r in requests_mock.request_history] == ["GET", "POST"]


def test_first_try_creates_without_looking(requests_mock, context):
    context["ti"].try_number = 1
    requests_mock.post(f"{API}/focus-areas", json=focus_area("fa-9", "NEW-1"), status_code=201)
    assert create_operator().execute(context) == "fa-9"
    assert [r.method for r in requests_mock.request_history] == ["POST"]


def test_create_validates_arguments():
    with pytest.raises(FocusConfigError, match="name"):
        FocusCreateFocusAreaOperator(task_id="c", name="", focus_area_type_id="t")
    with pytest.raises(FocusConfigError, match="fields"):
        FocusCreateFocusAreaOperator(task_id="c", name="n", focus_area_type_id="t", fields=["x"])


def test_update_sends_the_mask_and_returns_the_focus_area(requests_mock, context):
    requests_mock.patch(f"{API}/focus-areas/fa-1", json=focus_area("fa-1", name="Renamed"))
    op = FocusUpdateFocusAreaOperator(
        task_id="update", focus_area_id="fa-1", fields={"name": "Renamed"}, update_mask=["name", "description"]
    )
    assert op.execute(context)["name"] == "Renamed"
    assert requests_mock.last_request.qs["updatemask"] == ["name,description"]
    assert requests_mock.last_request.json() == {"name": "Renamed"}


def test_update_refuses_nothing_to_update():
    with pytest.raises(FocusConfigError, match="Nothing to update"):
        FocusUpdateFocusAreaOperator(task_id="u", focus_area_id="fa-1", fields={})
    with pytest.raises(FocusConfigError, match="list of field names"):
        FocusUpdateFocusAreaOperator(task_id="u", focus_area_id="fa-1", fields={"a": 1}, update_mask="name")


def test_link_is_empty_before_the_task_touched_a_focus_area():
    op = FocusGetFocusAreaOperator(task_id="get", focus_area_id="fa-1")
    assert FocusAreaLink().get_link(op, ti_key=None) == ""
    assert FocusAreaLink().xcom_key == "_link_FocusAreaLink"
    assert FocusAreaLink().name == "View in Focus"


def test_link_is_empty_for_a_cloud_connection_without_site(monkeypatch):
    conn = {
        "conn_type": "atlassian_focus",
        "login": "robot@example.com",
        "password": "x",
        "extra": {"cloud_id": "a436116f-02ce-4520-8fbb-7301462a1674"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_FOCUS_CLOUD", json.dumps(conn))
    op = FocusGetFocusAreaOperator(task_id="get", focus_area_id="fa-1", focus_conn_id="focus_cloud")
    op.focus_area_link_id = "fa-1"
    assert FocusAreaLink().get_link(op, ti_key=None) == ""


@pytest.mark.parametrize(
    ("mask", "sent"),
    [
        ("description", "description"),
        ("name, description", "name,description"),
        ('["name", "description"]', "name,description"),
    ],
)
def test_update_mask_template_rendering_to_a_string_is_parsed(requests_mock, context, mask, sent):
    requests_mock.patch(f"{API}/focus-areas/fa-1", json=focus_area("fa-1", name="Renamed"))
    op = FocusUpdateFocusAreaOperator(
        task_id="update", focus_area_id="fa-1", fields={"name": "Renamed"}, update_mask="{{ params.mask }}"
    )
    op.render_template_fields({**context, "params": {"mask": mask}})
    assert isinstance(op.update_mask, str)
    op.execute(context)
    assert requests_mock.last_request.qs["updatemask"] == [sent.lower()]


def test_fields_template_rendering_to_a_json_string_is_parsed(requests_mock, context):
    requests_mock.patch(f"{API}/focus-areas/fa-1", json=focus_area("fa-1", description="x"))
    requests_mock.post(f"{API}/focus-areas", json=focus_area("fa-9", "NEW-1"), status_code=201)
    update = FocusUpdateFocusAreaOperator(task_id="update", focus_area_id="fa-1", fields="{{ params.fields | tojson }}")
    update.render_template_fields({**context, "params": {"fields": {"description": "x"}}})
    assert isinstance(update.fields, str)
    update.execute(context)
    assert requests_mock.last_request.json() == {"description": "x"}
    assert requests_mock.last_request.qs["updatemask"] == ["description"]
    create = FocusCreateFocusAreaOperator(
        task_id="create", name="New", focus_area_type_id="fat-project", fields="{{ params.fields | tojson }}"
    )
    create.render_template_fields({**context, "params": {"fields": {"externalId": "NEW-1"}}})
    assert create.execute(context) == "fa-9"
    assert requests_mock.last_request.json() == {"name": "New", "focusAreaTypeId": "fat-project", "externalId": "NEW-1"}


@pytest.mark.parametrize(
    ("kwargs", "params", "message"),
    [
        ({"fields": "{{ params.v }}"}, {"v": "description=x"}, "fields rendered to a string that is not a JSON object"),
        ({"fields": "{{ params.v | tojson }}"}, {"v": ["description"]}, "fields must be a dict, got list"),
        ({"fields": {"a": 1}, "update_mask": "{{ params.v }}"}, {"v": "[name"}, "neither a JSON list"),
        ({"fields": {"a": 1}, "update_mask": "{{ params.v | tojson }}"}, {"v": [1]}, "non-empty field names"),
        ({"fields": {"a": 1}, "update_mask": "{{ params.v | tojson }}"}, {"v": {"a": 1}}, "list of field names"),
        ({"fields": {"a": 1}, "update_mask": "{{ params.v }}"}, {"v": "name,,description"}, "empty field name"),
        ({"fields": "{{ params.v }}"}, {"v": ""}, "Nothing to update"),
    ],
)
def test_update_refuses_rendered_values_of_the_wrong_shape(requests_mock, context, kwargs, params, message):
    op = FocusUpdateFocusAreaOperator(task_id="update", focus_area_id="fa-1", **kwargs)
    op.render_template_fields({**context, "params": params})
    with pytest.raises(FocusConfigError, match=message):
        op.execute(context)
    assert requests_mock.request_history == []


def test_update_refuses_a_mask_holding_non_strings_in_init():
    with pytest.raises(FocusConfigError, match="non-empty field names"):
        FocusUpdateFocusAreaOperator(task_id="u", focus_area_id="fa-1", fields={"a": 1}, update_mask=["name", 3])


def test_a_sort_outside_the_model_is_sent_with_a_warning(requests_mock, context, monkeypatch):
    log = record_log(monkeypatch, FocusListFocusAreasOperator)
    requests_mock.get(f"{API}/focus-areas", json=page([focus_area("fa-1")]))
    op = FocusListFocusAreasOperator(task_id="list", sort="{{ params.sort }}")
    op.render_template_fields({**context, "params": {"sort": "-priority"}})
    assert [fa["id"] for fa in op.execute(context)] == ["fa-1"]
    assert requests_mock.last_request.qs["sort"] == ["-priority"]
    (warning,) = [message for message in log.messages("warning") if "Sorting by" in message]
    assert warning.startswith("Sorting by '-priority', which this provider does not know (it knows name, -name")


def test_a_known_sort_makes_no_warning(requests_mock, context, monkeypatch):
    log = record_log(monkeypatch, FocusListOrganizationsOperator)
    requests_mock.get(f"{API}/organizations", json=page([]))
    assert FocusListOrganizationsOperator(task_id="orgs", sort="-updatedAt").execute(context) == []
    assert requests_mock.last_request.qs["sort"] == ["-updatedat"]
    assert [message for message in log.messages("warning") if "Sorting by" in message] == []
