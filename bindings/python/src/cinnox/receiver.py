"""The webhook receiver, its deliveries, and the durable inbox."""

from __future__ import annotations

import ctypes
import logging
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Optional, Tuple

from . import _ffi
from ._handle import Handle
from .errors import Closed, Error, InvalidArgument, Timeout, check, last_error
from .events import Event, from_pointer

log = logging.getLogger("cinnox")

# Set on a thread while it runs a serve handler: close() there must not wait for serve.
_serving = threading.local()

# A blocking wait is cut into slices this long, so that Ctrl-C (which Python handles between
# calls) stops a program waiting in recv within this time.
_SLICE = 0.25


class Delivery:
    """One event waiting for the application's answer.

    ``ack()`` acknowledges it (HTTP 200; with an inbox: done); ``fail()`` fails it (HTTP
    500, so CINNOX delivers it again; with an inbox: retried later, then dead). As a
    context manager it acks when the block ends normally and fails when it raises. A
    delivery dropped unanswered is failed. It may be answered from any thread.
    """

    def __init__(self, ptr: int) -> None:
        self._ptr: Optional[int] = ptr
        self._lock = threading.Lock()
        #: The event, a ``CallStart``, ``CallEnd``, ``InboundSms``, ``DeliveryReport`` or ``Other``.
        self.event: Event = from_pointer(_ffi.lib.cinnox_delivery_event(ptr))

    @property
    def answered(self) -> bool:
        """Whether ``ack`` or ``fail`` was called."""
        return self._ptr is None

    def _take(self) -> int:
        with self._lock:
            ptr, self._ptr = self._ptr, None
        if ptr is None:
            raise Closed("this delivery was already answered")
        return ptr

    def ack(self) -> None:
        """Acknowledge the event (HTTP 200; with an inbox, done)."""
        check(_ffi.lib.cinnox_delivery_ack(self._take()))

    def fail(self) -> None:
        """Fail the event, so that it is delivered again (HTTP 500; with an inbox, retried)."""
        check(_ffi.lib.cinnox_delivery_fail(self._take()))

    def __enter__(self) -> "Delivery":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self.answered:
            if exc_type is None:
                self.ack()
            else:
                self.fail()

    def __repr__(self) -> str:
        return f"Delivery({self.event!r}, answered={self.answered})"

    def __del__(self) -> None:
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            try:
                _ffi.lib.cinnox_delivery_free(ptr)
            except Exception:
                pass


def _receive(handle: Handle, recv, timeout: Optional[float]) -> Delivery:
    """Wait for a delivery with ``recv(ptr, ms, out)``, in slices (see ``_SLICE``)."""
    deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
    while True:
        if deadline is None:
            wait = _SLICE
        else:
            wait = min(max(deadline - time.monotonic(), 0.0), _SLICE)
        out = ctypes.c_void_p()
        with handle.use() as ptr:
            rc = recv(ptr, int(wait * 1000), ctypes.byref(out))
            if rc == _ffi.OK:
                return Delivery(out.value)
            if rc != _ffi.ERR_TIMEOUT:
                raise last_error(rc)
        if deadline is not None and time.monotonic() >= deadline:
            raise Timeout("no event arrived within the timeout", code=_ffi.ERR_TIMEOUT)


def _until_closed(recv: Callable[[], Delivery]) -> Iterator[Delivery]:
    """``recv()`` again and again, until it raises ``Closed``."""
    while True:
        try:
            yield recv()
        except Closed:
            return


def _open_inbox(location: str, retry: Optional[Tuple[int, int, int]]) -> int:
    """Open the inbox at ``location`` with the retry schedule ``retry`` (None: the
    library's default): builder, setter, build."""
    lib = _ffi.lib
    builder = ctypes.c_void_p()
    check(lib.cinnox_inbox_builder_new(_ffi.arg(location), ctypes.byref(builder)))
    if retry is not None:
        rc = lib.cinnox_inbox_builder_set_retry(builder, *retry)
        if rc != _ffi.OK:
            err = last_error(rc)
            lib.cinnox_inbox_builder_free(builder)
            raise err
    out = ctypes.c_void_p()
    # Consumes the builder whatever the result.
    check(lib.cinnox_inbox_builder_build(builder, ctypes.byref(out)))
    return out.value


@dataclass(frozen=True)
class InboxStats:
    """How many events are in each state of an inbox."""

    pending: int
    in_flight: int
    done: int
    dead: int
    oldest_pending_age: float
    """Seconds the oldest pending or in-flight event has waited."""


class Inbox:
    """A durable inbox: events are stored before they are answered 200, and handed out
    from it with retries and dead letters.

    ``location`` is a file path (SQLite: a stored event survives a crash and a power loss)
    or a ``postgres://`` URL (several hosts sharing one inbox). Give it to ``Receiver(...,
    inbox=inbox)``; worker processes take events with ``recv`` or by iterating.
    """

    def __init__(self, location: str) -> None:
        self.location = location
        # Held while settings change: a change opens the inbox again and swaps it in.
        self._change_lock = threading.Lock()
        # The receivers made with this inbox: each shares the native inbox it was made with.
        self._receivers: "weakref.WeakSet[Receiver]" = weakref.WeakSet()
        self._h = Handle(_open_inbox(location, None), _ffi.lib.cinnox_inbox_free, "inbox")

    def set_retry(
        self, max_attempts: int, first_delay: float = 5.0, max_delay: float = 3600.0
    ) -> None:
        """``max_attempts`` attempts in all, waiting ``first_delay`` seconds after the first
        failure, doubling up to ``max_delay``; then the event is dead.

        The library fixes an inbox's schedule when it opens: this opens the inbox again
        with the new one and puts it in place of the old one (the stored events stay where
        they are). So call it before giving the inbox to a ``Receiver``: while a receiver
        made with this inbox is open, it raises ``InvalidArgument`` (that receiver would
        keep the old schedule)."""
        retry = (max_attempts, int(first_delay * 1000), int(max_delay * 1000))
        with self._change_lock:
            if self._h.closed:
                raise Closed("the inbox is closed")
            if any(not rx.closed for rx in self._receivers):
                raise InvalidArgument(
                    "set the inbox's retry schedule before making a Receiver with it "
                    "(an open receiver keeps the schedule it was made with)",
                    code=_ffi.ERR_INVALID_ARGUMENT,
                )
            self._h.replace(_open_inbox(self.location, retry))

    def recv(self, timeout: Optional[float] = None) -> Delivery:
        """Wait for the next due event (``Timeout`` after ``timeout`` seconds)."""
        return _receive(self._h, _ffi.lib.cinnox_inbox_recv, timeout)

    def __iter__(self) -> Iterator[Delivery]:
        """Deliveries, one after another, until the inbox is closed."""
        return _until_closed(self.recv)

    def stats(self) -> InboxStats:
        """How many events are pending, in flight, done and dead."""
        lib = _ffi.lib
        snap = ctypes.c_void_p()
        with self._h.use() as ptr:
            check(lib.cinnox_inbox_snapshot_new(ptr, ctypes.byref(snap)))
        try:
            return InboxStats(
                pending=lib.cinnox_inbox_snapshot_pending(snap),
                in_flight=lib.cinnox_inbox_snapshot_in_flight(snap),
                done=lib.cinnox_inbox_snapshot_done(snap),
                dead=lib.cinnox_inbox_snapshot_dead(snap),
                oldest_pending_age=lib.cinnox_inbox_snapshot_oldest_pending_age_ms(snap)
                / 1000.0,
            )
        finally:
            lib.cinnox_inbox_snapshot_free(snap)

    def replay_dead(self) -> int:
        """Make every dead event pending again; how many."""
        n = ctypes.c_uint64(0)
        with self._h.use() as ptr:
            check(_ffi.lib.cinnox_inbox_replay_dead(ptr, ctypes.byref(n)))
        return n.value

    def close(self) -> None:
        """Close the inbox (events queued for storing are stored first)."""
        self._h.close()

    def __enter__(self) -> "Inbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _start_receiver(
    bind: str,
    path: str,
    inbox: Optional["Inbox"],
    max_body: Optional[int],
    allow_sources: Iterable[str],
    trusted_proxies: Iterable[str],
    dedup_window: Optional[float],
    max_connections: Optional[int],
    io_threads: Optional[int],
    header_timeout: Optional[float],
    per_source_limit: Optional[int],
    metrics_bind: Optional[str],
) -> int:
    """A new native receiver with these settings (``Receiver``'s options)."""
    lib = _ffi.lib
    # Every setting goes to one builder, built once into the config the receiver
    # copies; the config is freed as soon as the receiver is made.
    builder = ctypes.c_void_p()
    check(lib.cinnox_receiver_config_builder_new(_ffi.arg(path), ctypes.byref(builder)))
    try:
        if max_body is not None:
            check(lib.cinnox_receiver_config_builder_set_max_body(builder, max_body))
        for cidr in allow_sources:
            check(lib.cinnox_receiver_config_builder_allow_source(builder, _ffi.arg(cidr)))
        for cidr in trusted_proxies:
            check(lib.cinnox_receiver_config_builder_trust_proxy(builder, _ffi.arg(cidr)))
        if dedup_window is not None:
            check(
                lib.cinnox_receiver_config_builder_set_dedup_window(
                    builder, int(dedup_window * 1000)
                )
            )
        if max_connections is not None:
            check(
                lib.cinnox_receiver_config_builder_set_max_connections(
                    builder, max_connections
                )
            )
        if io_threads is not None:
            check(lib.cinnox_receiver_config_builder_set_io_threads(builder, io_threads))
        if header_timeout is not None:
            check(
                lib.cinnox_receiver_config_builder_set_header_timeout(
                    builder, int(header_timeout * 1000)
                )
            )
        if per_source_limit is not None:
            check(
                lib.cinnox_receiver_config_builder_set_per_source_limit(
                    builder, per_source_limit
                )
            )
        if metrics_bind is not None:
            check(
                lib.cinnox_receiver_config_builder_set_metrics_bind(
                    builder, _ffi.arg(metrics_bind)
                )
            )
        if inbox is not None:
            with inbox._h.use() as inbox_ptr:
                check(lib.cinnox_receiver_config_builder_set_inbox(builder, inbox_ptr))
    except BaseException:
        lib.cinnox_receiver_config_builder_free(builder)
        raise
    config = ctypes.c_void_p()
    # Consumes the builder whatever the result.
    check(lib.cinnox_receiver_config_builder_build(builder, ctypes.byref(config)))
    try:
        out = ctypes.c_void_p()
        check(lib.cinnox_receiver_new_with_config(_ffi.arg(bind), config, ctypes.byref(out)))
    finally:
        lib.cinnox_receiver_config_free(config)
    return out.value


@dataclass(frozen=True)
class ReceiverStats:
    """The receiver's counters (see ``Receiver.metrics`` for the Prometheus form).
    ``fd_exhaustions``, ``slow_readers`` and ``store_failures`` are new in 0.2."""

    requests: int
    challenges: int
    events: int
    acks: int
    fails: int
    duplicates: int
    refused_not_found: int
    refused_method: int
    refused_too_large: int
    refused_media_type: int
    refused_forbidden: int
    refused_bad_request: int
    handler_panics: int
    refused_connections: int
    read_timeouts: int
    malformed_requests: int
    expired_deliveries: int
    evicted_connections: int
    open_connections: int
    fd_exhaustions: int
    slow_readers: int
    store_failures: int


class Receiver:
    """A hardened webhook receiver on ``bind`` (``"host:port"``; port 0 picks a free one).

    It answers CINNOX's URL verification by itself, refuses every request that is not a
    POST to ``path`` (a secret path: the default is a random one), and hands each event
    to the application by ``recv``, by iteration, or by ``serve``. Use it as a context
    manager, or call ``close()``.

    Options (all optional): ``inbox`` (an ``Inbox``: events stored before they are
    answered), ``max_body`` (bytes), ``allow_sources`` and ``trusted_proxies`` (CIDR
    texts), ``dedup_window`` (seconds; 0 turns duplicate detection off),
    ``max_connections``, ``io_threads``, ``header_timeout`` (seconds), ``per_source_limit``,
    ``metrics_bind`` (``"127.0.0.1:9100"``: ``GET /metrics`` there).
    """

    def __init__(
        self,
        bind: str = "127.0.0.1:0",
        path: Optional[str] = None,
        *,
        inbox: Optional[Inbox] = None,
        max_body: Optional[int] = None,
        allow_sources: Iterable[str] = (),
        trusted_proxies: Iterable[str] = (),
        dedup_window: Optional[float] = None,
        max_connections: Optional[int] = None,
        io_threads: Optional[int] = None,
        header_timeout: Optional[float] = None,
        per_source_limit: Optional[int] = None,
        metrics_bind: Optional[str] = None,
    ) -> None:
        lib = _ffi.lib
        if path is None:
            path = "/cinnox/" + secrets.token_urlsafe(18)
        if inbox is not None:
            # Known to the inbox before it is used: set_retry refuses from now on.
            with inbox._change_lock:
                inbox._receivers.add(self)
        try:
            ptr = _start_receiver(
                bind, path, inbox, max_body, allow_sources, trusted_proxies, dedup_window,
                max_connections, io_threads, header_timeout, per_source_limit, metrics_bind,
            )
        except BaseException:
            if inbox is not None:
                with inbox._change_lock:
                    inbox._receivers.discard(self)
            raise
        self._h = Handle(ptr, lib.cinnox_receiver_free, "receiver")
        self._close_after_serve = False
        self.path = path if path.startswith("/") else "/" + path
        self.inbox = inbox
        host = bind.rsplit(":", 1)[0]
        if host in ("0.0.0.0", "", "[::]"):
            host = "127.0.0.1"
        self._host = host
        with self._h.use() as ptr:
            self.port: int = lib.cinnox_receiver_port(ptr)
            self.metrics_port: Optional[int] = lib.cinnox_receiver_metrics_port(ptr) or None

    @property
    def url(self) -> str:
        """``http://host:port/path`` on this machine (subscribe your public URL, whose
        path is this one, when CINNOX reaches you through a proxy)."""
        return f"http://{self._host}:{self.port}{self.path}"

    def recv(self, timeout: Optional[float] = None) -> Delivery:
        """Wait for the next event; ``Timeout`` after ``timeout`` seconds, ``Closed`` once
        the receiver is shut down. Releases the GIL while it waits."""
        return _receive(self._h, _ffi.lib.cinnox_receiver_recv, timeout)

    def __iter__(self) -> Iterator[Delivery]:
        """Deliveries, one after another, until the receiver is shut down."""
        return _until_closed(self.recv)

    def serve(self, handler: Callable[[Event], object], workers: int = 1) -> None:
        """Run ``handler(event)`` for every event on ``workers`` threads of the library,
        until the receiver is shut down (``shutdown()``, from another thread or from the
        handler) or Ctrl-C. A handler that returns acknowledges the event; one that raises
        fails it (CINNOX delivers it again; with an inbox, it is retried) and the exception
        is logged to the ``cinnox`` logger."""

        def call(_userdata: object, ev: int) -> int:
            _serving.receiver = self
            try:
                handler(from_pointer(ev))
                return 0
            except BaseException:  # never into the library: the event is failed instead
                log.exception("cinnox: the handler raised; the event is failed")
                return 1
            finally:
                _serving.receiver = None

        callback = _ffi.HANDLER(call)
        outcome: dict = {}

        def run(ptr: int) -> None:
            rc = _ffi.lib.cinnox_receiver_serve(ptr, workers, callback, None)
            if rc != _ffi.OK:
                outcome["error"] = last_error(rc)

        with self._h.use() as ptr:
            # On a thread of its own, so that this one stays able to take Ctrl-C.
            thread = threading.Thread(target=run, args=(ptr,), name="cinnox-serve", daemon=True)
            thread.start()
            try:
                while thread.is_alive():
                    thread.join(_SLICE)
            except KeyboardInterrupt:
                _ffi.lib.cinnox_receiver_shutdown(ptr)
                thread.join()
                raise
        if self._close_after_serve:
            self.close()
        if "error" in outcome:
            raise outcome["error"]

    def shutdown(self) -> None:
        """Stop accepting, let in-flight deliveries finish, wake ``recv`` and ``serve``.
        Returns at once; idempotent; may be called from a handler."""
        try:
            with self._h.use() as ptr:
                check(_ffi.lib.cinnox_receiver_shutdown(ptr))
        except Closed:
            pass

    def stats(self) -> ReceiverStats:
        """The counters, each read by one call (``cinnox_receiver_counter``): they only
        grow (but ``open_connections``, a gauge), so a field read later may count a
        request that one read earlier does not."""
        lib = _ffi.lib
        value = ctypes.c_uint64()
        counts = {}
        with self._h.use() as ptr:
            for which, name in enumerate(_ffi.COUNTERS, start=1):
                check(lib.cinnox_receiver_counter(ptr, which, ctypes.byref(value)))
                counts[name] = value.value
        return ReceiverStats(**counts)

    def metrics(self) -> str:
        """The receiver's metrics in the Prometheus text format."""
        out = ctypes.c_void_p()
        with self._h.use() as ptr:
            check(_ffi.lib.cinnox_receiver_metrics(ptr, ctypes.byref(out)))
        try:
            return ctypes.string_at(out.value).decode("utf-8")
        finally:
            _ffi.lib.cinnox_string_free(out)

    def close(self) -> None:
        """Shut down and free the receiver (idempotent); waits for calls in progress.
        From a ``serve`` handler it shuts down at once and frees when ``serve`` returns."""
        if getattr(_serving, "receiver", None) is self:
            self._close_after_serve = True
            self.shutdown()
            return
        self._h.close(wake=_ffi.lib.cinnox_receiver_shutdown)

    @property
    def closed(self) -> bool:
        # While __init__ runs there is no handle yet: not closed.
        h = self.__dict__.get("_h")
        return h is not None and h.closed

    def __enter__(self) -> "Receiver":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        # The path is a secret: never in a repr.
        return f"<cinnox.Receiver on {self._host}:{self.port}>"


__all__ = ["Delivery", "Inbox", "InboxStats", "Receiver", "ReceiverStats", "Error"]
