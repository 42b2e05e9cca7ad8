"""
Everything this provider knows or assumes about the Focus REST API v1, in one place.

``[DOC]`` marks what Atlassian publishes; ``[MODEL]`` marks the project's working assumption where nothing is
published. Both the client (:mod:`airflow_provider_focus.api.client`) and the emulator
(:mod:`airflow_provider_focus.testing`) read these names, so a corrected assumption is a one-line change here.
Callers can override the field-name assumptions through the pass-through ``fields`` dicts of the hook.
"""

from __future__ import annotations

from typing import Final

# --- Roots and well-known URLs -------------------------------------------------------------------------------

#: [DOC] Path of the API root on a site (``https://<site>.atlassian.net`` + this).
SITE_API_PATH: Final = "/gateway/api/focus/v1"
#: [DOC] API root through the api.atlassian.com gateway, used with a cloudId.
CLOUD_API_ROOT: Final = "https://api.atlassian.com/focus/cloud/{cloud_id}/v1"
#: [DOC] Path of the cloud root below the gateway's origin (the emulator serves it on loopback).
CLOUD_API_PATH: Final = "/focus/cloud/{cloud_id}/v1"
#: [DOC] OAuth 2.0 token endpoint for service-account client credentials.
OAUTH_TOKEN_URL: Final = "https://auth.atlassian.com/oauth/token"
#: [DOC] Unauthenticated endpoint on a site that returns ``{"cloudId": "..."}``.
TENANT_INFO_PATH: Final = "/_edge/tenant_info"
#: [MODEL] Web page of one focus area on its site.
FOCUS_AREA_WEB_PATH: Final = "/focus/focus-areas/{focus_area_id}"
#: [DOC] Atlassian's domains: sites live under atlassian.net, the API gateway and the token endpoint under
#: atlassian.com. A connection that sends its credentials anywhere else (a proxy) is logged as a warning.
ATLASSIAN_DOMAINS: Final = ("atlassian.net", "atlassian.com")

# --- Auth -----------------------------------------------------------------------------------------------------

#: [DOC] OAuth 2.0 access tokens live 60 minutes.
ACCESS_TOKEN_LIFETIME_SECONDS: Final = 3600
#: [MODEL] Refresh a cached access token this many seconds before it expires.
ACCESS_TOKEN_REFRESH_MARGIN_SECONDS: Final = 60


class Scope:
    """[DOC] OAuth scopes of the Focus API (the organizations write scope is [MODEL])."""

    FOCUS_AREAS_READ: Final = "focus-areas-read-scope"
    FOCUS_AREAS_WRITE: Final = "focus-areas-write-scope"
    FUNDS_READ: Final = "funds-read-scope"
    FUNDS_WRITE: Final = "funds-write-scope"
    ORGANIZATIONS_READ: Final = "organizations-read-scope"
    ORGANIZATIONS_WRITE: Final = "organizations-write-scope"  # [MODEL]

    ALL: Final = (
        FOCUS_AREAS_READ,
        FOCUS_AREAS_WRITE,
        FUNDS_READ,
        FUNDS_WRITE,
        ORGANIZATIONS_READ,
        ORGANIZATIONS_WRITE,
    )


_READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_SCOPE_BY_RESOURCE: Final = {
    # first path segment -> (read scope, write scope)
    "focus-areas": (Scope.FOCUS_AREAS_READ, Scope.FOCUS_AREAS_WRITE),
    "funds": (Scope.FUNDS_READ, Scope.FUNDS_WRITE),
    "organizations": (Scope.ORGANIZATIONS_READ, Scope.ORGANIZATIONS_WRITE),
}


def required_scope(method: str, path: str) -> str | None:
    """
    Return the scope a call needs ([MODEL]: read scope for GET, write scope for anything else).

    :param method: HTTP method.
    :param path: resource path relative to the API root, e.g. ``focus-areas/123``.
    :return: the scope name, or ``None`` for a path outside the known resources.
    """
    resource = path.lstrip("/").split("/", 1)[0]
    scopes = _SCOPE_BY_RESOURCE.get(resource)
    if scopes is None:
        return None
    return scopes[0] if method.upper() in _READ_METHODS else scopes[1]


# --- Resources (paths relative to the API root) [DOC] -----------------------------------------------------------

FOCUS_AREAS: Final = "focus-areas"
ORGANIZATIONS: Final = "organizations"
COST_ITEM: Final = "funds/cost-item"
COST_ITEM_BULK: Final = "funds/cost-item/bulk"
BENEFIT_ITEM: Final = "funds/benefit-item"
BENEFIT_ITEM_BULK: Final = "funds/benefit-item/bulk"
COST_TYPES: Final = "funds/cost-type"
COST_SUBTYPES: Final = "funds/cost-subtype"
BENEFIT_TYPES: Final = "funds/benefit-type"
INVESTMENT_CATEGORIES: Final = "funds/investment-category"

#: [DOC for funds, MODEL for focus areas, by analogy] Verb that changes an object's fields.
UPDATE_METHOD: Final = "PATCH"
#: [DOC for funds, MODEL for focus areas] Query parameter naming the fields a PATCH changes.
UPDATE_MASK_PARAM: Final = "updateMask"

# --- Query parameters [DOC] -------------------------------------------------------------------------------------

PARAM_LIMIT: Final = "limit"
PARAM_CURSOR: Final = "cursor"
PARAM_NAME_CONTAINS: Final = "nameContains"
PARAM_EXTERNAL_ID: Final = "externalId"
PARAM_PARENT_ID: Final = "parentId"
PARAM_SORT: Final = "sort"

# --- Pagination [DOC envelope, MODEL sizes] ---------------------------------------------------------------------

PAGE_VALUES: Final = "values"
PAGE_NEXT_CURSOR: Final = "nextPageCursor"
PAGE_LAST: Final = "last"
PAGE_TOTAL_COUNT: Final = "totalCount"
#: [MODEL] Page size the server uses when no ``limit`` is sent.
DEFAULT_PAGE_SIZE: Final = 50
#: [MODEL] Largest ``limit`` the server honours; it silently returns at most this many.
MAX_PAGE_SIZE: Final = 100

# --- Focus area fields [MODEL] ----------------------------------------------------------------------------------

FIELD_ID: Final = "id"
FIELD_NAME: Final = "name"
FIELD_EXTERNAL_ID: Final = "externalId"
FIELD_PARENT_ID: Final = "parentId"
FIELD_FOCUS_AREA_TYPE_ID: Final = "focusAreaTypeId"
FIELD_ORGANIZATION_TYPE_ID: Final = "organizationTypeId"
FIELD_OWNER_ACCOUNT_ID: Final = "ownerAccountId"
FIELD_DESCRIPTION: Final = "description"
FIELD_STATUS: Final = "status"
FIELD_ANCESTORS: Final = "ancestors"
#: [MODEL] Fields the server sets; they are never sent in a create or an update.
READ_ONLY_FOCUS_AREA_FIELDS: Final = frozenset({"id", "status", "ancestors", "createdAt", "updatedAt", "draft"})
#: [MODEL] Fields a PATCH of a focus area may change.
UPDATABLE_FOCUS_AREA_FIELDS: Final = frozenset(
    {"name", "externalId", "ownerAccountId", "description", "parentId", "targetDate"}
)
#: [DOC] ``PENDING`` is documented as the initial status; the rest are guesses from the product UI.
FOCUS_AREA_STATUSES: Final = (
    "PENDING",
    "ON_TRACK",
    "AT_RISK",
    "OFF_TRACK",
    "COMPLETED",
    "PAUSED",
    "CANCELLED",
)
INITIAL_FOCUS_AREA_STATUS: Final = "PENDING"

# --- Funds fields [DOC] -----------------------------------------------------------------------------------------

COST_ITEM_ID: Final = "costItemId"
COST_ITEM_EXTERNAL_ID: Final = "costItemExternalId"
BENEFIT_ITEM_ID: Final = "benefitItemId"
BENEFIT_ITEM_EXTERNAL_ID: Final = "benefitItemExternalId"
BULK_ITEMS: Final = "items"

# --- Errors, rate limits, tracing --------------------------------------------------------------------------------

#: [DOC] Key of the error list in an error body: ``{"errors": [{"type": ..., "message": ...}]}``.
ERRORS_KEY: Final = "errors"
#: [DOC] Headers that tell a client when to come back after a 429 or 503.
RETRY_AFTER_HEADER: Final = "Retry-After"
RATE_LIMIT_RESET_HEADER: Final = "X-RateLimit-Reset"
#: [MODEL] Headers that may carry the request's trace id, first match wins.
TRACE_ID_HEADERS: Final = ("Atl-Traceid", "X-Trace-Id", "X-Request-Id")

# --- Bulk fund imports [MODEL] ----------------------------------------------------------------------------------
# ``POST funds/{cost,benefit}-item/bulk`` answers 200 with what it upserted and what it rejected, item by item:
# ``{"results": [{"index": 0, "costItemId": "...", "costItemExternalId": "...", "created": true}],
#    "errors": [{"index": 1, "costItemExternalId": "...", "type": "FORMAT_INVALID", "message": "..."}]}``

BULK_RESULTS: Final = "results"
BULK_ERRORS: Final = "errors"
BULK_INDEX: Final = "index"
BULK_CREATED: Final = "created"

# --- More shared names, first needed by the emulator --------------------------------------------------------

#: [MODEL] Timestamps of focus areas, organizations and fund items (ISO 8601, UTC).
FIELD_CREATED_AT: Final = "createdAt"
FIELD_UPDATED_AT: Final = "updatedAt"
FIELD_DRAFT: Final = "draft"
FIELD_TARGET_DATE: Final = "targetDate"
#: [DOC] Envelope key of the cursor of the page being returned.
PAGE_CURSOR: Final = "cursor"
#: [MODEL] Values of the ``sort`` parameter of list endpoints; a leading ``-`` sorts descending.
SORT_VALUES: Final = ("name", "-name", "createdAt", "-createdAt", "updatedAt", "-updatedAt")

#: [DOC] Cost item fields.
FUND_FOCUS_AREA_ID: Final = "focusAreaId"
FUND_FOCUS_AREA_EXTERNAL_ID: Final = "focusAreaExternalId"
COST_TYPE: Final = "costType"
COST_SUBTYPE_KEY: Final = "costSubtypeKey"
EXPENDITURE_TYPE: Final = "expenditureType"
INVESTMENT_CATEGORY_KEY: Final = "investmentCategoryKey"
COST_PERIOD_VALUES: Final = "costPeriodValues"
FINANCIAL_VERSION_TYPE: Final = "financialVersionType"
TIME_PERIOD_TO_AMOUNT: Final = "timePeriodToAmount"
FINANCIAL_VERSION_TYPES: Final = ("ACTUAL", "FORECAST")
#: [MODEL] Benefit item fields, by analogy with cost items ("same shape").
BENEFIT_TYPE: Final = "benefitType"
BENEFIT_PERIOD_VALUES: Final = "benefitPeriodValues"
#: [MODEL] Entries of ``funds/cost-type``, ``cost-subtype``, ``benefit-type``, ``investment-category``:
#: ``{"key": ..., "name": ...}``; a cost subtype also names its ``costType`` key.
LOOKUP_KEY: Final = "key"
LOOKUP_NAME: Final = "name"


class ErrorType:
    """[MODEL] ``type`` values of ``{"errors": [{"type": ..., "message": ...}]}`` (the real set is open)."""

    FORMAT_INVALID: Final = "FORMAT_INVALID"
    REQUIRED_FIELD_MISSING: Final = "REQUIRED_FIELD_MISSING"
    FIELD_READ_ONLY: Final = "FIELD_READ_ONLY"
    INVALID_CURSOR: Final = "INVALID_CURSOR"
    NOT_FOUND: Final = "NOT_FOUND"
    METHOD_NOT_ALLOWED: Final = "METHOD_NOT_ALLOWED"
    UNAUTHORIZED: Final = "UNAUTHORIZED"
    FORBIDDEN: Final = "FORBIDDEN"
    RATE_LIMITED: Final = "RATE_LIMITED"


#: [DOC] Keys of an error entry.
ERROR_TYPE: Final = "type"
ERROR_MESSAGE: Final = "message"
#: [DOC] The api.atlassian.com gateway's own error body on a scope mismatch (status 401):
#: ``{"code": 401, "message": "Unauthorized; scope does not match"}``.
GATEWAY_CODE: Final = "code"
GATEWAY_MESSAGE: Final = "message"
GATEWAY_SCOPE_MISMATCH_MESSAGE: Final = "Unauthorized; scope does not match"
#: [DOC] OAuth 2.0 client-credentials exchange (RFC 6749 names).
OAUTH_GRANT_CLIENT_CREDENTIALS: Final = "client_credentials"
OAUTH_ACCESS_DENIED: Final = "access_denied"

# --- Change feed [MODEL] -----------------------------------------------------------------------------------------
# The API publishes no change feed or webhook for focus areas. The provider builds one on the list endpoint sorted
# by last update, newest first: a walk stops at the first focus area updated before its watermark, so its cost is
# proportional to what changed. Deletions are not visible this way (no delete of focus areas is published at all).

#: [MODEL] ``sort`` value that lists focus areas newest-updated first.
CHANGE_FEED_SORT: Final = "-updatedAt"
#: [MODEL] The opposite order, asked once (``limit=1``) to check that the server honours ``sort`` at all.
CHANGE_FEED_PROBE_SORT: Final = "updatedAt"
#: [MODEL] Seconds a walk looks back before its watermark: ``updatedAt`` is stamped by the server when a change
#: starts, a change may become visible to lists a little later, and several servers' clocks may differ.
CHANGE_FEED_OVERLAP_SECONDS: Final = 60

# --- Limits of record values [MODEL] -----------------------------------------------------------------------------
# No length limits are published. The upsert refuses, as a failure of that record, what no sane API accepts, rather
# than send megabytes the server will reject (and copy them into reports).

#: [MODEL] The longest external id (and parent external id) the upsert sends.
MAX_EXTERNAL_ID_CHARS: Final = 1024
#: [MODEL] The longest text value of one field the upsert sends (a description, a name).
MAX_TEXT_CHARS: Final = 100_000
