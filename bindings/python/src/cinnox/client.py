"""The CINNOX Open API client: subscribe and unsubscribe webhook URLs."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Optional, Union

from . import _ffi
from ._handle import Handle
from .errors import check
from .events import EventKind, family


@dataclass(frozen=True)
class Subscription:
    """A subscription as CINNOX reports it after a change."""

    enabled: bool
    url: Optional[str]
    updated_at: Optional[str]


def _subscription(ptr: ctypes.c_void_p) -> Subscription:
    lib = _ffi.lib
    try:
        return Subscription(
            enabled=bool(lib.cinnox_subscription_enabled(ptr)),
            url=_ffi.text(lib.cinnox_subscription_url(ptr)),
            updated_at=_ffi.text(lib.cinnox_subscription_updated_at(ptr)),
        )
    finally:
        lib.cinnox_subscription_free(ptr)


class Client:
    """A client of one CINNOX account: its per-account base URL and its App Token.

    Thread-safe; blocking calls release the GIL. Use it as a context manager, or call
    ``close()``; the App Token never appears in errors or logs.

    >>> with cinnox.Client("https://example.cinnox.com", token) as client:
    ...     client.subscribe(app_id, cinnox.EventKind.CALL, "https://me.example/cinnox/s3cret")
    """

    def __init__(
        self,
        base_url: str,
        app_token: str,
        *,
        connect_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
        user_agent: Optional[str] = None,
    ) -> None:
        lib = _ffi.lib
        out = ctypes.c_void_p()
        check(lib.cinnox_client_new(_ffi.arg(base_url), _ffi.arg(app_token), ctypes.byref(out)))
        self._h = Handle(out.value, lib.cinnox_client_free, "client")
        if connect_timeout is not None or timeout is not None:
            with self._h.use() as ptr:
                check(
                    lib.cinnox_client_set_timeouts(
                        ptr,
                        0 if connect_timeout is None else _ms(connect_timeout),
                        0 if timeout is None else _ms(timeout),
                    )
                )
        if user_agent is not None:
            with self._h.use() as ptr:
                check(lib.cinnox_client_set_user_agent(ptr, _ffi.arg(user_agent)))

    def set_retry(
        self,
        max_attempts: int,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        max_elapsed: float = 60.0,
    ) -> None:
        """Retry transport failures, 429 and 5xx: at most ``max_attempts`` attempts in
        all, with backoff from ``base_delay`` up to ``max_delay`` seconds, within
        ``max_elapsed`` seconds."""
        with self._h.use() as ptr:
            check(
                _ffi.lib.cinnox_client_set_retry(
                    ptr, max_attempts, _ms(base_delay), _ms(max_delay), _ms(max_elapsed)
                )
            )

    def subscribe(self, app_id: str, kind: Union[EventKind, int, str], url: str) -> Subscription:
        """Subscribe ``url`` to the events of family ``kind`` of the app ``app_id``.

        ``kind`` is an ``EventKind`` or a family's name as the command line spells it
        (``"call"``, ``"inbound-sms"``, ``"outbound-sms"``, …) or its slug
        (``"call-event-sub"``; a slug this package does not know, such as
        ``"fax-event-sub"``, is sent as it is). Another name raises ``InvalidArgument``
        (a ``ValueError``) that lists the valid ones.

        CINNOX first verifies the URL (a receiver answers that by itself), then subscribes
        it. Raises ``ApiError`` (with ``api_code``) when CINNOX refuses.
        """
        return self._change(True, app_id, kind, url)

    def unsubscribe(
        self, app_id: str, kind: Union[EventKind, int, str], url: str
    ) -> Subscription:
        """Turn the subscription of ``url`` to family ``kind`` (as for ``subscribe``) off."""
        return self._change(False, app_id, kind, url)

    def _change(
        self, enabled: bool, app_id: str, kind: Union[EventKind, int, str], url: str
    ) -> Subscription:
        lib = _ffi.lib
        which = family(kind)
        out = ctypes.c_void_p()
        with self._h.use() as ptr:
            if isinstance(which, str):
                rc = lib.cinnox_client_set_subscription_slug(
                    ptr, _ffi.arg(app_id), _ffi.arg(which), enabled, _ffi.arg(url),
                    ctypes.byref(out),
                )
            else:
                fn = lib.cinnox_client_subscribe if enabled else lib.cinnox_client_unsubscribe
                rc = fn(ptr, _ffi.arg(app_id), int(which), _ffi.arg(url), ctypes.byref(out))
            check(rc)
        return _subscription(out)

    def close(self) -> None:
        """Free the client (idempotent)."""
        self._h.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ms(seconds: float) -> int:
    """Seconds as whole milliseconds for the library (at least 1 for any positive time)."""
    if seconds < 0:
        from .errors import InvalidArgument

        raise InvalidArgument(f"a time must not be negative (got {seconds})")
    ms = int(round(seconds * 1000))
    return max(ms, 1) if seconds > 0 else 0
