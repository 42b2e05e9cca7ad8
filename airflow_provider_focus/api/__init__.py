"""The wire: URLs, auth, retries, pagination and errors of the Focus REST API, free of Airflow."""

from __future__ import annotations
