"""
The hook's connection test (Airflow's Test button): one cheap authenticated call, and what to fix when it fails.

Its messages never name the connection id (the Test button tests a copy under a random id) and never echo a
credential; it never raises.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from airflow_provider_focus._compat import mask_secret
from airflow_provider_focus.api import model
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.api.connection import read_connection
from airflow_provider_focus.exceptions import FocusAuthError, FocusConfigError, FocusError, FocusNotFoundError
from airflow_provider_focus.hooks.focus import _connection_fields

if TYPE_CHECKING:
    from airflow_provider_focus.hooks.focus import FocusHook


def check_connection(hook: FocusHook) -> tuple[bool, str]:
    """
    Make one cheap authenticated call and say what to fix if it fails; never raises.

    It retries at most once, so that a wrong host or a refused connection is reported in seconds. A hook that has
    read its connection tests that configuration; otherwise the connection is read here, and its warnings (an
    unknown extra, credentials sent outside Atlassian) end the message, passed or failed.

    :param hook: the hook to test.
    :return: whether it passed, and the message for the user.
    """
    config: FocusClientConfig | None = hook.__dict__.get("config")  # the hook's own, when it has read one
    warnings = ""
    if config is None:
        try:
            conn = hook.get_connection(hook.focus_conn_id)
        except Exception as err:
            return False, lookup_failure(hook, err)
        fields = _connection_fields(conn, conn.extra_dejson)
        del conn  # a logged traceback's locals would show the Connection, and its repr shows the password
        try:
            reading = read_connection(**fields)
        except FocusConfigError as err:
            return False, str(err)
        except Exception as err:
            hook.log.exception("Reading the Focus connection failed unexpectedly")
            return False, f"Unexpected error reading the connection ({type(err).__name__}); the log has details."
        config = reading.config
        warnings = "".join(f" Warning: {warning}" for warning in reading.warnings)
    from airflow_provider_focus.api.client import FocusClient

    try:
        quick = FocusClient(replace(config, max_retries=min(1, config.max_retries)), secret_sink=mask_secret)
        try:
            next(iter(quick.paginate(model.FOCUS_AREAS, max_items=1)), None)
        finally:
            quick.close()
    except FocusConfigError as err:
        return False, f"{err}{warnings}"
    except FocusAuthError as err:
        return False, f"{auth_advice(err, config)}{warnings}"
    except FocusNotFoundError:
        return False, (
            f"No Focus API at {config.api_root}: check the site or cloud_id, and that Focus is "
            f"enabled on that site.{warnings}"
        )
    except FocusError as err:
        return False, f"{err}{warnings}"
    except Exception as err:
        # A foreign exception's text may quote a request header; it goes to the (masked) log, not the answer.
        hook.log.exception("Focus connection test failed unexpectedly")
        return False, f"Unexpected error ({type(err).__name__}); the task or API server log has the details."
    return True, f"Connected to Focus at {config.api_root} ({config.auth_type.value}).{warnings}"


def lookup_failure(hook: FocusHook, err: Exception) -> str:
    """
    Say why the connection could not be looked up, naming the id the caller gave (never a test's copy).

    :param hook: the hook whose connection was looked up.
    :param err: what the look-up raised.
    """
    if isinstance(err, not_found_errors()):
        env = f"AIRFLOW_CONN_{hook.focus_conn_id.upper()}"
        return (
            f"No Airflow connection {hook.focus_conn_id!r} was found (looked in the environment variable {env}, "
            "the secrets backends and the metadata database): create it, or pass the right focus_conn_id."
        )
    hook.log.exception("Looking up the Focus connection failed")
    return (
        f"The Airflow connection {hook.focus_conn_id!r} could not be read ({type(err).__name__}): check the "
        "secrets backend and the metadata database; the log has the details."
    )


def not_found_errors() -> tuple[type[Exception], ...]:
    """Return the classes Airflow raises for a connection id that does not exist (the same class since 3.1)."""
    from airflow.exceptions import AirflowNotFoundException as CoreNotFound
    from airflow.providers.common.compat.sdk import AirflowNotFoundException

    return (AirflowNotFoundException, CoreNotFound)


def auth_advice(err: FocusAuthError, config: FocusClientConfig) -> str:
    """
    Say what to fix after the API refused the credentials (401) or a permission (403).

    :param err: the error.
    :param config: the configuration tested.
    """
    if err.status_code == 403 or (err.errors and "scope" in str(err.errors[0].get("message", "")).lower()):
        scope = f" It needs the scope {err.required_scope!r}." if err.required_scope else ""
        return f"The credentials work but lack a permission or scope for reading focus areas.{scope} ({err})"
    if config.auth_type.value == "api_token":
        return (
            "Authentication failed: check the connection's login (your Atlassian account email) and password "
            "(an API token from id.atlassian.com; tokens expire). Scoped tokens need the extra 'cloud_id'. "
            f"({err})"
        )
    return f"Authentication failed: check the client id/secret or access token of the connection. ({err})"
