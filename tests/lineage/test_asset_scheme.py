"""The ``focus://`` asset URI scheme as Airflow sees it: registered by the provider info, checked at parse time."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from airflow.sdk import Asset

from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.assets import (
    COST_ITEMS,
    FOCUS_AREAS,
    RESOURCES,
    authority_of,
    convert_asset_to_openlineage,
    focus_asset,
    focus_uri,
    parse_focus_uri,
)
from airflow_provider_focus.get_provider_info import get_provider_info

pytestmark = pytest.mark.integration  # runs on every Airflow of the matrix, against the wheel

CLOUD_ID = "a436116f-02ce-4520-8fbb-7301462a1674"


def test_the_provider_info_registers_the_focus_scheme_with_airflow():
    from airflow.sdk.definitions.asset import _get_uri_normalizer

    (entry,) = get_provider_info()["asset-uris"]
    assert entry["schemes"] == ["focus"]
    assert _get_uri_normalizer("focus") is not None  # Airflow found the handler through the entry point


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        (f"focus://{CLOUD_ID.upper()}/focus-areas/", f"focus://{CLOUD_ID}/focus-areas"),
        ("focus://Acme.Atlassian.NET/funds/cost-items", "focus://acme.atlassian.net/funds/cost-items"),
        ("focus://acme.atlassian.net/funds/benefit-items#x", "focus://acme.atlassian.net/funds/benefit-items"),
        ("focus://127.0.0.1:8765/organizations", "focus://127.0.0.1:8765/organizations"),
    ],
)
def test_airflow_normalizes_focus_uris(given, normalized):
    assert Asset(given).uri == normalized


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("focus://acme.atlassian.net/fundz", "'fundz' is not a Focus resource"),
        ("focus://acme.atlassian.net", "'/' is not a Focus resource"),
        ("focus:///focus-areas", "names no cloudId or site"),
        ("focus://acme_site!/focus-areas", "neither a cloudId nor a host name"),
        ("focus://acme.atlassian.net/focus-areas?x=1", "takes no query"),
        ("focus://acme.atlassian.net/funds", "'funds' is not a Focus resource"),
    ],
)
def test_a_malformed_focus_uri_is_refused_with_the_accepted_forms(uri, reason):
    with pytest.raises(ValueError, match="Invalid Focus asset URI") as caught:
        Asset(uri)
    message = str(caught.value)
    assert reason.strip("'/") in message
    for resource in RESOURCES:
        assert f"focus://<cloudId>/{resource}" in message


def test_credentials_are_no_authority():
    from airflow_provider_focus.assets import normalize_authority

    # Airflow itself drops the user part of an asset URI before the handler sees it (3.0) or keeps it (3.3).
    with pytest.raises(ValueError, match="must not carry credentials"):
        normalize_authority("user@acme.atlassian.net")


def test_a_malformed_focus_uri_in_a_dag_file_is_an_import_error(tmp_path: Path):
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 3.0, 3.1
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    (tmp_path / "bad_focus_asset.py").write_text(
        textwrap.dedent(
            """
            from airflow.sdk import DAG, Asset

            with DAG("bad_focus_asset", schedule=[Asset("focus://acme.atlassian.net/focus_areas")]):
                pass
            """
        )
    )
    dagbag = DagBag(dag_folder=str(tmp_path))
    (error,) = dagbag.import_errors.values()
    assert "Invalid Focus asset URI 'focus://acme.atlassian.net/focus_areas'" in error
    assert "focus://<cloudId>/focus-areas" in error


def test_the_factory_and_helpers_agree():
    assert focus_asset(CLOUD_ID, FOCUS_AREAS) == Asset(f"focus://{CLOUD_ID}/focus-areas")
    assert focus_uri("ACME.atlassian.net", COST_ITEMS) == "focus://acme.atlassian.net/funds/cost-items"
    assert parse_focus_uri(f"focus://{CLOUD_ID}/funds/cost-items") == (CLOUD_ID, COST_ITEMS)
    assert parse_focus_uri("s3://bucket/key") is None
    assert parse_focus_uri("focus://acme.atlassian.net/nope") is None
    with pytest.raises(ValueError, match="not a Focus resource"):
        focus_uri(CLOUD_ID, "goals")


def test_the_authority_is_the_cloud_id_when_the_connection_has_one_else_the_site():
    cloud = FocusClientConfig.from_connection_fields(
        host="acme.atlassian.net", login="a@b.c", password="t", extra={"cloud_id": CLOUD_ID.upper()}
    )
    site = FocusClientConfig.from_connection_fields(
        host="https://Acme.atlassian.net", login="a@b.c", password="t", extra={}
    )
    emulator = FocusClientConfig.from_connection_fields(host="127.0.0.1:8765", login="a@b.c", password="t", extra={})
    assert authority_of(cloud) == CLOUD_ID
    assert authority_of(site) == "acme.atlassian.net"
    assert authority_of(emulator) == "127.0.0.1:8765"


def test_the_openlineage_dataset_is_named_after_the_authority_and_the_resource():
    pytest.importorskip("openlineage.client", reason="the OpenLineage converter needs openlineage-python")
    dataset = convert_asset_to_openlineage(focus_asset(CLOUD_ID, COST_ITEMS), None)
    assert (dataset.namespace, dataset.name) == (f"focus://{CLOUD_ID}", "funds/cost-items")
