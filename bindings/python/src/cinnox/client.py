"""The CINNOX Open API client: subscribe and unsubscribe webhook URLs."""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass, field, replace
from typing import Optional, Tuple, Union

from . import _ffi
from ._handle import Handle
from .errors import Closed, check
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
        self._settings = _Settings(
            base_url=base_url,
            app_token=app_token,
            connect_timeout_ms=None if connect_timeout is None else _ms(connect_timeout),
            timeout_ms=None if timeout is None else _ms(timeout),
            user_agent=user_agent,
        )
        # Held while settings change: a change builds a new client and swaps it in.
        self._change_lock = threading.Lock()
        self._h = Handle(_build(self._settings), _ffi.lib.cinnox_client_free, "client")

    def set_retry(
        self,
        max_attempts: int,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        max_elapsed: float = 60.0,
    ) -> None:
        """Retry transport failures, 429 and 5xx: at most ``max_attempts`` attempts in
        all, with backoff from ``base_delay`` up to ``max_delay`` seconds, within
        ``max_elapsed`` seconds.

        The library's clients are immutable: this makes a new one with every setting so
        far and this policy, and puts it in place of the old one. Requests that start
        after it returns use the policy; requests in progress finish as they started."""
        retry = (max_attempts, _ms(base_delay), _ms(max_delay), _ms(max_elapsed))
        with self._change_lock:
            if self._h.closed:
                raise Closed("the client is closed")
            settings = replace(self._settings, retry=retry)
            self._h.replace(_build(settings))
            self._settings = settings

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


@dataclass(frozen=True)
class _Settings:
    """Everything a client is built from (the token is left out of its repr)."""

    base_url: str
    app_token: str = field(repr=False)
    connect_timeout_ms: Optional[int] = None
    timeout_ms: Optional[int] = None
    user_agent: Optional[str] = None
    retry: Optional[Tuple[int, int, int, int]] = None


def _build(s: _Settings) -> int:
    """A new native client with the settings ``s``: builder, setters, build."""
    lib = _ffi.lib
    builder = ctypes.c_void_p()
    check(
        lib.cinnox_client_builder_new(
            _ffi.arg(s.base_url), _ffi.arg(s.app_token), ctypes.byref(builder)
        )
    )
    try:
        if s.connect_timeout_ms is not None or s.timeout_ms is not None:
            check(
                lib.cinnox_client_builder_set_timeouts(
                    builder, s.connect_timeout_ms or 0, s.timeout_ms or 0
                )
            )
        if s.user_agent is not None:
            check(lib.cinnox_client_builder_set_user_agent(builder, _ffi.arg(s.user_agent)))
        if s.retry is not None:
            check(lib.cinnox_client_builder_set_retry(builder, *s.retry))
    except BaseException:
        lib.cinnox_client_builder_free(builder)
        raise
    out = ctypes.c_void_p()
    # Consumes the builder whatever the result.
    check(lib.cinnox_client_builder_build(builder, ctypes.byref(out)))
    return out.value


def _ms(seconds: float) -> int:
    """Seconds as whole milliseconds for the library (at least 1 for any positive time)."""
    if seconds < 0:
        from .errors import InvalidArgument

        raise InvalidArgument(f"a time must not be negative (got {seconds})")
    ms = int(round(seconds * 1000))
    return max(ms, 1) if seconds > 0 else 0
