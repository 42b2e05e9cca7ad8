"""
Fixed identities of the Focus emulator: default credentials, the cloudId and the caller's account id.

These are test fixtures, not secrets: the emulator only listens on loopback.
"""

from __future__ import annotations

from typing import Final

#: Email of the default user (HTTP Basic ``email:api_token``, every scope).
EMULATOR_EMAIL: Final = "emulator@example.com"
#: API token of the default user.
EMULATOR_API_TOKEN: Final = "emulator-api-token"
#: Atlassian account id of the default user; the owner of focus areas created without ``ownerAccountId``.
EMULATOR_ACCOUNT_ID: Final = "712020:00000000-0000-4000-8000-000000000001"
#: Client id of the default OAuth 2.0 service account (client credentials, every scope).
EMULATOR_CLIENT_ID: Final = "emulator-client-id"
#: Client secret of the default OAuth 2.0 service account.
EMULATOR_CLIENT_SECRET: Final = "emulator-client-secret"
#: Account id the default service account acts as.
EMULATOR_SERVICE_ACCOUNT_ID: Final = "712020:00000000-0000-4000-8000-000000000002"
#: The cloudId of the emulated site; any other cloudId in a cloud path gets 404.
EMULATOR_CLOUD_ID: Final = "2b4c6d8e-0f1a-4b3c-9d5e-7f9a1b3c5d7e"
#: Seeds :class:`~airflow_provider_focus.testing.FocusEmulator` knows.
SEED_DEMO: Final = "demo"
SEED_EMPTY: Final = "empty"
SEEDS: Final = (SEED_DEMO, SEED_EMPTY)
