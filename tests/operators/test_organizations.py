from __future__ import annotations

import pytest

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.operators.focus import FocusCreateOrganizationOperator, FocusListOrganizationsOperator
from tests.operators.conftest import API, page


def test_list_returns_organizations(requests_mock, context):
    requests_mock.get(f"{API}/organizations", json=page([{"id": "org-1", "name": "Eng"}]))
    op = FocusListOrganizationsOperator(task_id="orgs", name_contains="En")
    assert op.execute(context) == [{"id": "org-1", "name": "Eng"}]
    assert "nameContains=En" in requests_mock.last_request.url


def test_list_exports_to_json_lines(requests_mock, context, tmp_path):
    requests_mock.get(f"{API}/organizations", json=page([{"id": "org-1"}, {"id": "org-2"}]))
    target = tmp_path / "orgs.jsonl"
    result = FocusListOrganizationsOperator(task_id="orgs", output_path=str(target)).execute(context)
    assert result == {"path": str(target), "count": 2}
    assert len(target.read_text().splitlines()) == 2


def test_list_caps_xcom(requests_mock, context):
    requests_mock.get(f"{API}/organizations", json=page([{"id": f"o{i}"} for i in range(3)]))
    with pytest.raises(FocusConfigError, match="output_path"):
        FocusListOrganizationsOperator(task_id="orgs", max_xcom_items=2).execute(context)


def test_create_returns_the_id(requests_mock, context):
    requests_mock.post(f"{API}/organizations", json={"id": "org-9", "name": "Ops"}, status_code=201)
    op = FocusCreateOrganizationOperator(
        task_id="org", name="Ops", organization_type_id="orgtype-team", fields={"parentOrganizationId": "org-1"}
    )
    assert op.execute(context) == "org-9"
    assert requests_mock.last_request.json() == {
        "name": "Ops",
        "organizationTypeId": "orgtype-team",
        "parentOrganizationId": "org-1",
    }


def test_the_deprecated_parent_id_is_sent_as_parent_organization_id_with_a_warning(requests_mock, context, caplog):
    # [DOC: api-group-organizations/] the parent field of a create is parentOrganizat... (parentOrganizationId)
    requests_mock.post(f"{API}/organizations", json={"id": "org-9", "name": "Ops"}, status_code=201)
    op = FocusCreateOrganizationOperator(
        task_id="org", name="Ops", organization_type_id="orgtype-team", fields={"parentId": "org-1"}
    )
    with caplog.at_level("WARNING"):
        assert op.execute(context) == "org-9"
    body = requests_mock.last_request.json()
    assert body["parentOrganizationId"] == "org-1"
    assert "parentId" not in body
    assert "'parentId' is deprecated" in caplog.text


def test_create_templates_and_validation(context):
    assert set(FocusCreateOrganizationOperator.template_fields) == {
        "focus_conn_id",
        "name",
        "organization_type_id",
        "fields",
    }
    op = FocusCreateOrganizationOperator(task_id="org", name="Team {{ ds }}", organization_type_id="t")
    op.render_template_fields(context)
    assert op.name == "Team 2025-03-01"
    with pytest.raises(FocusConfigError, match="organization_type_id"):
        FocusCreateOrganizationOperator(task_id="org", name="x", organization_type_id=None)


def test_create_fields_template_rendering_to_a_json_string_is_parsed(requests_mock, context):
    requests_mock.post(f"{API}/organizations", json={"id": "org-9", "name": "Ops"}, status_code=201)
    op = FocusCreateOrganizationOperator(
        task_id="org", name="Ops", organization_type_id="orgtype-team", fields="{{ params.fields | tojson }}"
    )
    op.render_template_fields({**context, "params": {"fields": {"parentId": "org-1"}}})
    assert isinstance(op.fields, str)
    assert op.execute(context) == "org-9"
    assert requests_mock.last_request.json()["parentOrganizationId"] == "org-1"
    bad = FocusCreateOrganizationOperator(task_id="org", name="Ops", organization_type_id="t", fields="{{ ds }}")
    bad.render_template_fields(context)
    with pytest.raises(FocusConfigError, match="fields rendered to a string that is not a JSON object"):
        bad.execute(context)


def test_create_on_a_retry_uses_what_an_earlier_try_made(requests_mock, context):
    context["ti"].try_number = 2
    requests_mock.get(
        f"{API}/organizations",
        json=page([{"id": "org-5", "name": "Ops team", "externalId": "OTHER"}, {"id": "org-7", "externalId": "O-1"}]),
    )
    requests_mock.post(f"{API}/organizations", json={"id": "org-dup"}, status_code=201)
    op = FocusCreateOrganizationOperator(
        task_id="org", name="Ops", organization_type_id="orgtype-team", fields={"externalId": "O-1"}
    )
    assert op.execute(context) == "org-7"
    assert [r.method for r in requests_mock.request_history] == ["GET"]
    assert requests_mock.last_request.qs == {"namecontains": ["ops"]}


def test_create_on_a_retry_creates_when_no_earlier_try_did(requests_mock, context):
    context["ti"].try_number = 2
    requests_mock.get(f"{API}/organizations", json=page([]))
    requests_mock.post(f"{API}/organizations", json={"id": "org-8"}, status_code=201)
    op = FocusCreateOrganizationOperator(
        task_id="org", name="Ops", organization_type_id="orgtype-team", fields={"externalId": "O-1"}
    )
    assert op.execute(context) == "org-8"
    assert [r.method for r in requests_mock.request_history] == ["GET", "POST"]
