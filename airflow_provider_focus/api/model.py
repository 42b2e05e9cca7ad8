"""
Everything this provider knows or assumes about the Focus REST API v1, in one place.

``[DOC: <page>]`` marks what Atlassian publishes, naming the page of ``developer.atlassian.com/cloud/focus/rest/``
(or the support article) it was read on; ``[MODEL]`` marks the project's working assumption where nothing is
published. Both the client (:mod:`airflow_provider_focus.api.client`) and the emulator
(:mod:`airflow_provider_focus.testing`) read these names, so a corrected assumption is a one-line change here.
Callers can override the field-name assumptions through the pass-through ``fields`` dicts of the hook.
"""

from __future__ import annotations

from typing import Final

# --- Roots and well-known URLs -------------------------------------------------------------------------------

#: [DOC: intro/] Path of the API root on a site (``https://<site>.atlassian.net`` + this).
SITE_API_PATH: Final = "/gateway/api/focus/v1"
#: [DOC: intro/] API root through the api.atlassian.com gateway, used with a cloudId.
CLOUD_API_ROOT: Final = "https://api.atlassian.com/focus/cloud/{cloud_id}/v1"
#: [DOC: intro/] Path of the cloud root below the gateway's origin (the emulator serves it on loopback).
CLOUD_API_PATH: Final = "/focus/cloud/{cloud_id}/v1"
#: [DOC: support article "Create OAuth 2.0 credential for service accounts"] OAuth 2.0 token endpoint for
#: service-account client credentials.
OAUTH_TOKEN_URL: Final = "https://auth.atlassian.com/oauth/token"
#: [DOC: Atlassian support KB on finding the cloudId] Unauthenticated endpoint on a site that returns
#: ``{"cloudId": "..."}``.
TENANT_INFO_PATH: Final = "/_edge/tenant_info"
#: [MODEL] Web page of one focus area on its site.
FOCUS_AREA_WEB_PATH: Final = "/focus/focus-areas/{focus_area_id}"
#: [DOC: intro/] Atlassian's domains: sites live under atlassian.net, the API gateway and the token endpoint under
#: atlassian.com. A connection that sends its credentials anywhere else (a proxy) is logged as a warning.
ATLASSIAN_DOMAINS: Final = ("atlassian.net", "atlassian.com")

# --- Auth -----------------------------------------------------------------------------------------------------

#: [DOC: Atlassian OAuth 2.0 (3LO) and service-account pages] OAuth 2.0 access tokens live 60 minutes.
ACCESS_TOKEN_LIFETIME_SECONDS: Final = 3600
#: [MODEL] Refresh a cached access token this many seconds before it expires.
ACCESS_TOKEN_REFRESH_MARGIN_SECONDS: Final = 60


class Scope:
    """
    [DOC: developer.atlassian.com/cloud/focus/rest/intro and each api-group page] OAuth scopes of the Focus API.

    No organizations write scope is published: ``api-group-organizations/`` lists ``organizations-read-scope`` even
    for creating an organization, so the provider never asks for a scope the reference does not name.
    """

    FOCUS_AREAS_READ: Final = "focus-areas-read-scope"
    FOCUS_AREAS_WRITE: Final = "focus-areas-write-scope"
    FUNDS_READ: Final = "funds-read-scope"
    FUNDS_WRITE: Final = "funds-write-scope"
    ORGANIZATIONS_READ: Final = "organizations-read-scope"

    ALL: Final = (
        FOCUS_AREAS_READ,
        FOCUS_AREAS_WRITE,
        FUNDS_READ,
        FUNDS_WRITE,
        ORGANIZATIONS_READ,
    )


_READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_SCOPE_BY_RESOURCE: Final = {
    # first path segment -> (read scope, write scope)
    "focus-areas": (Scope.FOCUS_AREAS_READ, Scope.FOCUS_AREAS_WRITE),
    "funds": (Scope.FUNDS_READ, Scope.FUNDS_WRITE),
    # [DOC: api-group-organizations/] "Create an organization" lists organizations-read-scope.
    "organizations": (Scope.ORGANIZATIONS_READ, Scope.ORGANIZATIONS_READ),
}


def required_scope(method: str, path: str) -> str | None:
    """
    Return the scope a call needs: the read scope for GET, the write scope for anything else.

    [DOC: each api-group page names the scope of each call] except for organizations, whose create is listed under
    ``organizations-read-scope`` (no write scope is published).

    :param method: HTTP method.
    :param path: resource path relative to the API root, e.g. ``focus-areas/123``.
    :return: the scope name, or ``None`` for a path outside the known resources.
    """
    resource = path.lstrip("/").split("/", 1)[0]
    scopes = _SCOPE_BY_RESOURCE.get(resource)
    if scopes is None:
        return None
    return scopes[0] if method.upper() in _READ_METHODS else scopes[1]


# --- Resources (paths relative to the API root) [DOC: each api-group page] ----------------------------------------

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

#: [DOC for funds: api-group-cost-items/, api-group-benefit-items/; MODEL for focus areas, by analogy] Verb that
#: changes an object's fields.
UPDATE_METHOD: Final = "PATCH"
#: [DOC for funds: api-group-cost-items/; MODEL for focus areas] Query parameter naming the fields a PATCH changes.
UPDATE_MASK_PARAM: Final = "updateMask"

# --- Query parameters [DOC: api-group-focus-areas/, api-group-organizations/ (no externalId filter)] --------------

PARAM_LIMIT: Final = "limit"
PARAM_CURSOR: Final = "cursor"
PARAM_NAME_CONTAINS: Final = "nameContains"
PARAM_EXTERNAL_ID: Final = "externalId"
PARAM_PARENT_ID: Final = "parentId"
PARAM_SORT: Final = "sort"

# --- Pagination [DOC envelope: PaginatedResponse on every list page; MODEL sizes] ---------------------------------

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
#: [DOC: support article "Use the Focus public REST API"] An update of a focus area changes its name, owner,
#: external id or description, nothing else (re-parenting and target dates are not listed). The field names are
#: [MODEL]; a site that accepts more can widen this through :data:`EXTRA_UPDATABLE_FOCUS_AREA_FIELDS`.
UPDATABLE_FOCUS_AREA_FIELDS: Final = frozenset({"name", "externalId", "ownerAccountId", "description"})
#: [DOC: api-group-focus-areas/ "Create a focus area"] Fields a create accepts: name (required), the type, the
#: parent, the owner and the external id; "Target date and target date type are not set on create", status is set
#: to PENDING, draft defaults to false. The names of parent and owner are [MODEL]; description is [MODEL] (the
#: support article lists it among the updatable fields).
CREATABLE_FOCUS_AREA_FIELDS: Final = frozenset(
    {"name", "focusAreaTypeId", "parentId", "ownerAccountId", "externalId", "description"}
)
#: [MODEL] Focus-area fields an upsert may also send in a PATCH, for a site that accepts more than the reference
#: lists (say ``{"parentId", "targetDate"}``). Empty: only documented updates are sent. Set it per call with the
#: ``extra_updatable_fields`` argument of the upsert.
EXTRA_UPDATABLE_FOCUS_AREA_FIELDS: Final = frozenset[str]()
#: [DOC: api-group-focus-areas/ "Create a focus area"] ``PENDING`` is the initial status; the rest are guesses from
#: the product UI [MODEL].
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

# --- Funds fields [DOC: the funds api-group pages] ------------------------------------------------------------------
# Every funds endpoint is marked **Experimental** in the reference (api-group-cost-items/, api-group-benefit-items/,
# api-group-cost-types/, api-group-cost-subtypes/, api-group-benefit-types/, api-group-investment-categories/; the
# newer navigation calls them "Funds - Cost items" and so on): Atlassian may change them without notice.

#: [DOC: every api-group page of funds] Funds endpoints are Experimental.
FUNDS_EXPERIMENTAL: Final = True

#: [DOC: api-group-cost-items/ "Bulk import cost items", request CostItemRequest] Request names of a cost item.
COST_ITEM_ID: Final = "costItemId"
COST_ITEM_EXTERNAL_ID: Final = "costItemExternalId"
#: [DOC: api-group-benefit-items/ "Bulk import benefit items", request BenefitItemRequest]
BENEFIT_ITEM_ID: Final = "benefitItemId"
BENEFIT_ITEM_EXTERNAL_ID: Final = "benefitItemExternalId"
#: [DOC: both bulk pages] ``{"items": [...]}``.
BULK_ITEMS: Final = "items"

#: [DOC: api-group-cost-items/ "Get a cost item", answer CostItem] The answer names a thing differently from the
#: request: ``externalCostItemId`` (request ``costItemExternalId``), ``costSubtypeId`` (request
#: ``costSubtypeKey``), ``investmentCategoryId`` (request ``investmentCategoryKey``); ``expenditureType`` is a
#: string there. The sample holds exactly these fields.
ANSWER_EXTERNAL_COST_ITEM_ID: Final = "externalCostItemId"
ANSWER_COST_SUBTYPE_ID: Final = "costSubtypeId"
ANSWER_INVESTMENT_CATEGORY_ID: Final = "investmentCategoryId"
COST_ITEM_ANSWER_FIELDS: Final = (
    "costItemId",
    "externalCostItemId",
    "focusAreaId",
    "costType",
    "costSubtypeId",
    "expenditureType",
    "investmentCategoryId",
    "name",
)
#: [DOC: api-group-benefit-items/ "Get a benefit item", answer BenefitItem] exactly these fields.
ANSWER_EXTERNAL_BENEFIT_ITEM_ID: Final = "externalBenefitItemId"
BENEFIT_ITEM_ANSWER_FIELDS: Final = ("benefitItemId", "externalBenefitItemId", "focusAreaId", "name")
#: [MODEL] Answer name -> the request's name for the same thing: the provider reads the answer's documented name
#: and, when a site answers with the request's name instead, reads that (a site may differ from its docs).
COST_ITEM_ANSWER_ALIASES: Final = {
    "externalCostItemId": "costItemExternalId",
    "costSubtypeId": "costSubtypeKey",
    "investmentCategoryId": "investmentCategoryKey",
}
BENEFIT_ITEM_ANSWER_ALIASES: Final = {"externalBenefitItemId": "benefitItemExternalId"}

#: [DOC: api-group-cost-items/ "Update a cost item"] "supported fields are externalCostItemId": the only field a
#: PATCH of a cost item may set (``updateMask``: listed fields are set, listed-but-absent or null are cleared,
#: unlisted untouched). Everything else changes through the bulk import.
COST_ITEM_PATCHABLE_FIELDS: Final = frozenset({"externalCostItemId"})
#: [DOC: api-group-benefit-items/ "Update a benefit item"] "supported fields are externalId".
BENEFIT_ITEM_PATCHABLE_FIELDS: Final = frozenset({"externalId"})

#: [DOC: api-group-cost-items/ CostItemRequest] Cost item request fields.
FUND_FOCUS_AREA_ID: Final = "focusAreaId"
FUND_FOCUS_AREA_EXTERNAL_ID: Final = "focusAreaExternalId"
COST_TYPE: Final = "costType"
COST_SUBTYPE_KEY: Final = "costSubtypeKey"
#: [DOC: api-group-cost-items/] In the request an object ``{id, order, key, name, displayName}``; in the GET answer
#: a string. Which of the object's fields a site needs is not published: the provider sends a string a record gives
#: as ``{"key": value}``
#: [MODEL] (the GET sample's string is most likely that key).
EXPENDITURE_TYPE: Final = "expenditureType"
EXPENDITURE_TYPE_FIELDS: Final = ("id", "order", "key", "name", "displayName")
EXPENDITURE_TYPE_KEY: Final = "key"
INVESTMENT_CATEGORY_KEY: Final = "investmentCategoryKey"
COST_PERIOD_VALUES: Final = "costPeriodValues"
FINANCIAL_VERSION_TYPE: Final = "financialVersionType"
TIME_PERIOD_TO_AMOUNT: Final = "timePeriodToAmount"
#: [DOC: the sample shows ACTUAL; FORECAST is MODEL, from the product UI]
FINANCIAL_VERSION_TYPES: Final = ("ACTUAL", "FORECAST")
COST_ITEM_REQUEST_FIELDS: Final = frozenset(
    {
        "focusAreaId",
        "focusAreaExternalId",
        "costItemId",
        "costItemExternalId",
        "name",
        "costType",
        "costSubtypeKey",
        "expenditureType",
        "investmentCategoryKey",
        "costPeriodValues",
    }
)
#: [DOC: api-group-benefit-items/ BenefitItemRequest] The benefit type is ``benefitTypeKey``.
BENEFIT_TYPE_KEY: Final = "benefitTypeKey"
BENEFIT_PERIOD_VALUES: Final = "benefitPeriodValues"
BENEFIT_ITEM_REQUEST_FIELDS: Final = frozenset(
    {
        "focusAreaId",
        "focusAreaExternalId",
        "benefitItemId",
        "benefitItemExternalId",
        "benefitTypeKey",
        "name",
        "benefitPeriodValues",
    }
)
#: The JSON type of a structured field whose value is an array (the period values).
JSON_ARRAY: Final = "array"
#: The JSON type of a structured field whose value is an object (``expenditureType``).
JSON_OBJECT: Final = "object"
#: [DOC: https://developer.atlassian.com/cloud/focus/rest/api-group-cost-items/, "Bulk import cost items",
#: CostItemRequest sample] The request fields whose value is a JSON array or object: ``costPeriodValues`` (an array of
#: ``{financialVersionType, timePeriodToAmount}``) and ``expenditureType`` (an object). (Not a fact of the API: a
#: record read from a database column or a CSV cell may hold them as JSON text, and the provider sends its value.)
COST_ITEM_STRUCTURED_FIELDS: Final = {COST_PERIOD_VALUES: JSON_ARRAY, EXPENDITURE_TYPE: JSON_OBJECT}
#: [DOC: https://developer.atlassian.com/cloud/focus/rest/api-group-benefit-items/, "Bulk import benefit items",
#: BenefitItemRequest sample] The same for benefit items: ``benefitPeriodValues``, an array like the cost items'.
BENEFIT_ITEM_STRUCTURED_FIELDS: Final = {BENEFIT_PERIOD_VALUES: JSON_ARRAY}
#: Deprecated: the provider's earlier guess for ``benefitTypeKey``. A record that still says ``benefitType`` is
#: sent as ``benefitTypeKey``, with a deprecation warning in the task log.
BENEFIT_TYPE: Final = "benefitType"
#: Deprecated record names the provider still reads, each mapped to the documented request name.
DEPRECATED_BENEFIT_ITEM_FIELDS: Final = {"benefitType": "benefitTypeKey"}

#: [MODEL] Entries of ``funds/cost-type``, ``cost-subtype``, ``benefit-type``: ``{"key": ..., "name": ...}`` (the
#: reference shows the paginated envelope with empty entries); a cost subtype also names its ``costType`` key.
LOOKUP_KEY: Final = "key"
LOOKUP_NAME: Final = "name"
#: [DOC: api-group-investment-categories/ "Get investment categories"] The sample answer is ONE object
#: ``{"investmentCategoryId", "key"}``, not the paginated envelope the other look-ups show. A client accepts the
#: envelope, a bare list and such an object [MODEL: which one a site sends].
INVESTMENT_CATEGORY_ID: Final = "investmentCategoryId"
INVESTMENT_CATEGORY_ANSWER_FIELDS: Final = ("investmentCategoryId", "key")

# --- Organizations [DOC: api-group-organizations/] ------------------------------------------------------------------

#: [DOC: api-group-organizations/ "Create an organization"] The parent field; the stored copy of the page cuts its
#: name at ``parentOrganizat…``: ``parentOrganizationId`` is [MODEL], the one complete name that fits.
ORGANIZATION_PARENT_ID: Final = "parentOrganizationId"
#: [DOC: same page] Request fields of a create: ``name`` and ``organizationTypeId`` required, ``externalId``, the
#: parent, an owner (its name is cut from the stored copy too: [MODEL] ``ownerAccountId``).
ORGANIZATION_CREATE_FIELDS: Final = frozenset(
    {"name", "organizationTypeId", "externalId", "parentOrganizationId", "ownerAccountId"}
)
#: Deprecated: the provider's earlier guess for the parent field of a create, mapped with a warning.
DEPRECATED_ORGANIZATION_FIELDS: Final = {"parentId": "parentOrganizationId"}

# --- List cost items [DOC: support article "Use the Focus public REST API"] ----------------------------------------
#: The support article names "List cost items" (filtered by focus area, external id, ...); its path and
#: parameters are not in the stored reference [MODEL], so the hook does not wrap it: reach it with
#: ``FocusHook.request`` / ``FocusHook.paginate`` once your site shows its path.
LIST_COST_ITEMS_DOCUMENTED_BY: Final = "support article 'Use the Focus public REST API'"

# --- Errors, rate limits, tracing --------------------------------------------------------------------------------

#: [DOC: intro/] Key of the error list in an error body: ``{"errors": [{"type": ..., "message": ...}]}``.
ERRORS_KEY: Final = "errors"
#: [DOC: Atlassian cloud rate-limiting pages] Headers that tell a client when to come back after a 429 or 503.
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
#: [DOC: PaginatedResponse on every list page] Envelope key of the cursor of the page being returned.
PAGE_CURSOR: Final = "cursor"
#: [DOC: support article "Use the Focus public REST API": sort "by name or last updated date"] Values of the
#: ``sort`` parameter of list endpoints; the tokens themselves are [MODEL] (a leading ``-`` sorts descending).
#: There is no sort by creation date.
SORT_VALUES: Final = ("name", "-name", "updatedAt", "-updatedAt")


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


#: [DOC: intro/] Keys of an error entry.
ERROR_TYPE: Final = "type"
ERROR_MESSAGE: Final = "message"
#: [DOC: public issue threads on the api.atlassian.com gateway] The gateway's own error body on a scope mismatch
#: (status 401):
#: ``{"code": 401, "message": "Unauthorized; scope does not match"}``.
GATEWAY_CODE: Final = "code"
GATEWAY_MESSAGE: Final = "message"
GATEWAY_SCOPE_MISMATCH_MESSAGE: Final = "Unauthorized; scope does not match"
#: [DOC: RFC 6749 and the service-account support article] OAuth 2.0 client-credentials exchange.
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
