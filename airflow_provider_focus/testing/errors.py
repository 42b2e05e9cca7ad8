"""Error bodies of the emulator, in the documented ``{"errors": [{"type", "message"}]}`` shape."""

from __future__ import annotations

from typing import Any

from airflow_provider_focus.api import model


def error_body(error_type: str, message: str) -> dict[str, Any]:
    """
    Build the documented error document.

    :param error_type: the ``type`` of the single error, e.g. ``FORMAT_INVALID``.
    :param message: a human-readable message.
    """
    return {model.ERRORS_KEY: [{model.ERROR_TYPE: error_type, model.ERROR_MESSAGE: message}]}


class ApiError(Exception):
    """
    A request the emulator refuses; the server turns it into an error response.

    :param status: HTTP status.
    :param error_type: ``type`` of the error entry.
    :param message: human-readable message.
    """

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message

    def body(self) -> dict[str, Any]:
        """Return the error document for this error."""
        return error_body(self.error_type, self.message)


def bad_request(message: str, error_type: str = model.ErrorType.FORMAT_INVALID) -> ApiError:
    """Return a 400 error (``FORMAT_INVALID`` unless told otherwise)."""
    return ApiError(400, error_type, message)


def missing_field(field: str) -> ApiError:
    """Return the 400 error for a required field that is absent or empty."""
    return ApiError(400, model.ErrorType.REQUIRED_FIELD_MISSING, f"Field [{field}] is required.")


def invalid_field(field: str, why: str = "is invalid") -> ApiError:
    """Return the 400 error for a field with a bad value."""
    return ApiError(400, model.ErrorType.FORMAT_INVALID, f"Field [{field}] {why}.")


def not_found(what: str, object_id: str) -> ApiError:
    """Return the 404 error for an unknown object."""
    return ApiError(404, model.ErrorType.NOT_FOUND, f"{what} [{object_id}] was not found.")
