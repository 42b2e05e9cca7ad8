"""
The ``focus://`` asset URI scheme: Focus data as Airflow assets and OpenLineage datasets.

A Focus asset is ``focus://<authority>/<resource>``:

- ``<authority>`` is the site's **cloudId** (``focus://a436116f-02ce-4520-8fbb-7301462a1674/focus-areas``) when
  the connection has one, else the site's host (``focus://acme.atlassian.net/focus-areas``). The cloudId is the
  one a user can keep stable: it survives a renamed site and is the same whether calls go to the site or through
  ``api.atlassian.com``; a host names the same data only as long as the site keeps its name.
- ``<resource>`` is one of :data:`RESOURCES`: ``focus-areas``, ``organizations``, ``funds/cost-items``,
  ``funds/benefit-items``.

Airflow reads this module through the provider info's ``asset-uris`` entry: :func:`sanitize_uri` normalizes and
validates every ``focus://`` URI when a DAG file is parsed (a malformed one is an import error that shows the
accepted forms), :func:`create_asset` is the factory the hook lineage collector uses, and
:func:`convert_asset_to_openlineage` names the OpenLineage dataset. It imports nothing from Airflow at module level:
Airflow loads it whenever a DAG declares any asset with a scheme.
"""

from __future__ import annotations

import functools
import re
import uuid
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import SplitResult, urlsplit, urlunsplit

if TYPE_CHECKING:
    from airflow.sdk import Asset

    from airflow_provider_focus.api.config import FocusClientConfig

__all__ = [
    "BENEFIT_ITEMS",
    "COST_ITEMS",
    "FOCUS_AREAS",
    "ORGANIZATIONS",
    "RESOURCES",
    "SCHEME",
    "authority_of",
    "convert_asset_to_openlineage",
    "create_asset",
    "focus_asset",
    "focus_uri",
    "parse_focus_uri",
    "resource_of_path",
    "sanitize_uri",
]

#: The URI scheme of Focus assets.
SCHEME: Final = "focus"
#: Focus areas.
FOCUS_AREAS: Final = "focus-areas"
#: Organizations.
ORGANIZATIONS: Final = "organizations"
#: Cost items (funds).
COST_ITEMS: Final = "funds/cost-items"
#: Benefit items (funds).
BENEFIT_ITEMS: Final = "funds/benefit-items"
#: Every resource a Focus asset can name, as the path of its URI.
RESOURCES: Final = (FOCUS_AREAS, ORGANIZATIONS, COST_ITEMS, BENEFIT_ITEMS)

_EXAMPLE_CLOUD_ID: Final = "a436116f-02ce-4520-8fbb-7301462a1674"
_HOST_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^{_HOST_LABEL}(?:\.{_HOST_LABEL})*(?::[0-9]{{1,5}})?$")
_UUID_LIKE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def accepted_forms() -> str:
    """Return the accepted forms of a Focus asset URI, for messages."""
    forms = ", ".join(f"focus://<cloudId>/{resource}" for resource in RESOURCES)
    return (
        f"{forms}; <cloudId> is the site's cloudId (e.g. {_EXAMPLE_CLOUD_ID}) or, for a connection without one, "
        "the site's host (e.g. acme.atlassian.net)"
    )


def _refuse(uri: str, reason: str) -> ValueError:
    return ValueError(f"Invalid Focus asset URI {uri!r}: {reason}. Accepted forms: {accepted_forms()}.")


@functools.lru_cache(maxsize=256)
def normalize_authority(authority: str, *, uri: str = "") -> str:
    """
    Return a cloudId or a site host in canonical form (lower case; a cloudId as a canonical UUID).

    :param authority: the cloudId or host.
    :param uri: the URI it comes from, for messages.
    :raises ValueError: when it is neither.
    """
    text = authority.strip().lower()
    shown = uri or f"focus://{authority}"
    if not text:
        raise _refuse(shown, "it names no cloudId or site")
    if "@" in text:
        raise _refuse(shown, "it must not carry credentials")
    if _UUID_LIKE.match(text):
        return str(uuid.UUID(text))
    if not _HOST.match(text):
        raise _refuse(shown, f"{authority!r} is neither a cloudId nor a host name")
    return text


def sanitize_uri(uri: SplitResult) -> SplitResult:
    """
    Normalize and validate a ``focus://`` URI (the ``handler`` of the ``asset-uris`` entry).

    Airflow has already lower-cased the scheme, dropped the fragment and trailing slashes.

    :param uri: the split URI.
    :raises ValueError: with the accepted forms, for a URI that names no Focus resource.
    """
    shown = urlunsplit(uri)
    if uri.query:
        raise _refuse(shown, "it takes no query")
    authority = normalize_authority(uri.netloc, uri=shown)
    resource = uri.path.strip("/")
    if resource not in RESOURCES:
        raise _refuse(shown, f"{resource or '(empty)'!r} is not a Focus resource")
    return uri._replace(netloc=authority, path=f"/{resource}", fragment="")


@functools.lru_cache(maxsize=256)
def focus_uri(authority: str, resource: str) -> str:
    """
    Return the URI of a Focus asset (validated once per authority and resource: every hook call reports one).

    :param authority: the site's cloudId (or, without one, its host).
    :param resource: one of :data:`RESOURCES`.
    :raises ValueError: for an unknown resource or authority.
    """
    uri = f"{SCHEME}://{authority}/{resource}"
    return urlunsplit(sanitize_uri(urlsplit(uri)))


def parse_focus_uri(uri: str) -> tuple[str, str] | None:
    """
    Return ``(authority, resource)`` of a valid Focus asset URI, or ``None`` for any other URI.

    :param uri: an asset URI.
    """
    parts = urlsplit(uri)
    if parts.scheme != SCHEME:
        return None
    try:
        clean = sanitize_uri(parts)
    except ValueError:
        return None
    return clean.netloc, clean.path.lstrip("/")


#: The API paths (relative to the API root) of each resource's records, longest first.
_PATH_RESOURCES: Final = (
    ("funds/cost-item", COST_ITEMS),
    ("funds/benefit-item", BENEFIT_ITEMS),
    ("focus-areas", FOCUS_AREAS),
    ("organizations", ORGANIZATIONS),
)


def resource_of_path(path: str) -> str | None:
    """
    Return the Focus resource an API path reads or writes (``funds/cost-item/bulk`` → ``funds/cost-items``).

    :param path: a path relative to the API root; look-up tables such as ``funds/cost-type`` name no resource.
    """
    clean = path.split("?", 1)[0].strip("/")
    for prefix, resource in _PATH_RESOURCES:
        if clean == prefix or clean.startswith(prefix + "/"):
            return resource
    return None


def authority_of(config: FocusClientConfig) -> str:
    """
    Return the authority of the Focus assets a connection reads and writes: its cloudId, else its site's host.

    :param config: the connection's configuration.
    """
    if config.cloud_id:
        return normalize_authority(config.cloud_id)
    origin = config.site_url or config.api_root
    return normalize_authority(urlsplit(origin).netloc)


def create_asset(*, authority: str, resource: str, extra: dict[str, Any] | None = None) -> Asset:
    """
    Return the Asset of a Focus resource (the ``factory`` of the ``asset-uris`` entry).

    :param authority: the site's cloudId (or, without one, its host).
    :param resource: one of :data:`RESOURCES`.
    :param extra: the asset's ``extra``.
    """
    from airflow.sdk import Asset

    return Asset(uri=focus_uri(authority, resource), extra=extra)


def focus_asset(authority: str, resource: str) -> Asset:
    """
    Return the Asset of a Focus resource, for ``schedule=[...]``, ``outlets=[...]`` or ``inlets=[...]``.

    ``focus_asset("a436116f-02ce-4520-8fbb-7301462a1674", "focus-areas")`` is
    ``Asset("focus://a436116f-02ce-4520-8fbb-7301462a1674/focus-areas")``.

    :param authority: the site's cloudId (or, without one, its host).
    :param resource: one of :data:`RESOURCES`.
    """
    return create_asset(authority=authority, resource=resource)


def convert_asset_to_openlineage(asset: Asset, lineage_context: Any = None) -> Any:
    """
    Return the OpenLineage dataset of a Focus asset: namespace ``focus://<authority>``, name ``<resource>``.

    The ``to_openlineage_converter`` of the ``asset-uris`` entry; it needs the OpenLineage provider, which only
    calls it when installed.

    :param asset: a Focus asset.
    :param lineage_context: the hook lineage context (unused).
    """
    from airflow.providers.common.compat.openlineage.facet import Dataset

    parsed = parse_focus_uri(asset.uri)
    if parsed is None:
        raise ValueError(f"Not a Focus asset: {asset.uri!r}")
    authority, resource = parsed
    return Dataset(namespace=f"{SCHEME}://{authority}", name=resource)
