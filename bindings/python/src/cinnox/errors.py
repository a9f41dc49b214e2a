"""Exceptions: one class per kind of failure the library reports."""

from __future__ import annotations

from typing import Optional

from . import _ffi


class Error(Exception):
    """A failure reported by the cinnox library.

    Attributes:
        kind: the kind of failure, e.g. ``"invalid_argument"``, ``"api"``, ``"timeout"``.
        code: the library's ``cinnox_result`` code.
        http_status: the HTTP status CINNOX answered, when there was one.
        api_code: CINNOX's own error code (e.g. 6452000 for a wrong App Token), when
            CINNOX answered with an error object.
    """

    kind = "other"

    def __init__(
        self,
        message: str,
        *,
        code: int = _ffi.ERR_OTHER,
        http_status: Optional[int] = None,
        api_code: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.api_code = api_code


class InvalidArgument(Error, ValueError):
    """An argument the library refused (an empty App ID, a bad address, …)."""

    kind = "invalid_argument"


class TransportError(Error, ConnectionError):
    """The connection to CINNOX failed (refused, reset, DNS, TLS)."""

    kind = "transport"


class Timeout(Error, TimeoutError):
    """Nothing came within the time allowed (a ``recv`` timeout, a request timeout)."""

    kind = "timeout"


class ApiError(Error):
    """CINNOX answered with an error object: see ``api_code`` and ``http_status``."""

    kind = "api"


class UnexpectedResponse(Error):
    """CINNOX answered something the library cannot read."""

    kind = "unexpected_response"


class BadRequest(Error, ValueError):
    """A webhook request or an event body that is not valid."""

    kind = "bad_request"


class IoError(Error, OSError):
    """The operating system refused (a port in use, an unwritable inbox file, …)."""

    kind = "io"


class Closed(Error):
    """The receiver or inbox is shut down."""

    kind = "closed"


class WrongType(Error, TypeError):
    """The event is not of the type asked for."""

    kind = "wrong_type"


class LibraryPanic(Error):
    """A defect inside the library (it was contained; please report it)."""

    kind = "panic"


_BY_CODE = {
    _ffi.ERR_INVALID_ARGUMENT: InvalidArgument,
    _ffi.ERR_NULL_ARGUMENT: InvalidArgument,
    _ffi.ERR_TRANSPORT: TransportError,
    _ffi.ERR_TIMEOUT: Timeout,
    _ffi.ERR_API: ApiError,
    _ffi.ERR_UNEXPECTED_RESPONSE: UnexpectedResponse,
    _ffi.ERR_BAD_REQUEST: BadRequest,
    _ffi.ERR_IO: IoError,
    _ffi.ERR_CLOSED: Closed,
    _ffi.ERR_PANIC: LibraryPanic,
    _ffi.ERR_WRONG_TYPE: WrongType,
}


def last_error(code: int) -> Error:
    """The exception for result ``code``, with this thread's last error details."""
    lib = _ffi.lib
    message = _ffi.text(lib.cinnox_last_error_message()) or _ffi.text(
        lib.cinnox_result_name(code)
    )
    status = lib.cinnox_last_error_http_status()
    api_code = lib.cinnox_last_error_api_code()
    cls = _BY_CODE.get(code, Error)
    return cls(
        message or f"cinnox error {code}",
        code=code,
        http_status=status or None,
        api_code=api_code or None,
    )


def check(code: int) -> None:
    """Raise the matching exception unless ``code`` is OK."""
    if code != _ffi.OK:
        raise last_error(code)
