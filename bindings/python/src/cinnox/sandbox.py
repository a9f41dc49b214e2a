"""A local stand-in for CINNOX: subscriptions, URL verification and event delivery."""

from __future__ import annotations

import ctypes
import enum
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, Union

from . import _ffi
from ._handle import Handle
from .errors import check
from .events import EventKind, family


class Wire(enum.IntFlag):
    """Other shapes the spec allows, for the sandbox's triggers (OR them together)."""

    NUMBERS_AS_JSON_NUMBERS = 1
    """Phone numbers as JSON numbers (``85298765432``) instead of strings."""
    CALLEES_AS_ARRAY = 2
    """``callees`` as an array even when there is one callee."""
    WITHOUT_ENVELOPE = 4
    """Call events without the ``{"type":"message","message":{…}}`` envelope."""


@dataclass(frozen=True)
class DeliveryRecord:
    """What one delivery of a trigger did (one per subscribed URL)."""

    delivered: bool
    """Its last attempt was answered 2xx."""
    statuses: Tuple[int, ...]
    """The HTTP status of each attempt (0: no answer, e.g. a timeout)."""
    latency: float
    """Seconds from its first attempt to the end of its last (waits included)."""

    @property
    def attempts(self) -> int:
        return len(self.statuses)


class Sandbox:
    """CINNOX on this machine, for tests and for trying things out.

    ``base_url`` goes to ``Client``; ``app_id``/``app_token`` (optional) add an app at
    once. A trigger delivers an event to every URL subscribed to its family and returns
    when each receiver answered, so run the receiving code on another thread (or use
    ``Receiver.serve`` there): a trigger made on the thread that would then call ``recv``
    waits out every delivery attempt and reports them failed.
    """

    def __init__(
        self,
        app_id: Optional[str] = None,
        app_token: Optional[str] = None,
        *,
        delivery_timeout: Optional[float] = None,
        redelivery_delays: Optional[Sequence[float]] = None,
    ) -> None:
        lib = _ffi.lib
        out = ctypes.c_void_p()
        if delivery_timeout is None and redelivery_delays is None:
            check(lib.cinnox_sandbox_start(ctypes.byref(out)))
        else:
            delays = [int(d * 1000) for d in (redelivery_delays or ())]
            array = (ctypes.c_uint32 * len(delays))(*delays) if delays else None
            check(
                lib.cinnox_sandbox_start_with(
                    int((delivery_timeout or 0) * 1000),
                    array,
                    len(delays),
                    ctypes.byref(out),
                )
            )
        self._h = Handle(out.value, lib.cinnox_sandbox_free, "sandbox")
        with self._h.use() as ptr:
            self.base_url: str = _ffi.text(lib.cinnox_sandbox_base_url(ptr)) or ""
        if app_id is not None or app_token is not None:
            if app_id is None or app_token is None:
                from .errors import InvalidArgument

                raise InvalidArgument("give both app_id and app_token, or neither")
            self.add_app(app_id, app_token)

    def add_app(self, app_id: str, app_token: str) -> None:
        """Accept the App ID ``app_id`` with the App Token ``app_token``."""
        with self._h.use() as ptr:
            check(_ffi.lib.cinnox_sandbox_add_app(ptr, _ffi.arg(app_id), _ffi.arg(app_token)))

    @property
    def subscription_count(self) -> int:
        """Subscriptions held now (every app, every family)."""
        with self._h.use() as ptr:
            return _ffi.lib.cinnox_sandbox_subscription_count(ptr)

    def _trigger(self, call) -> Tuple[DeliveryRecord, ...]:
        lib = _ffi.lib
        out = ctypes.c_void_p()
        with self._h.use() as ptr:
            check(call(ptr, ctypes.byref(out)))
        try:
            records = []
            for i in range(lib.cinnox_trigger_result_count(out)):
                n = lib.cinnox_trigger_result_attempts(out, i)
                records.append(
                    DeliveryRecord(
                        delivered=bool(lib.cinnox_trigger_result_delivered(out, i)),
                        statuses=tuple(
                            lib.cinnox_trigger_result_status(out, i, a) for a in range(n)
                        ),
                        latency=lib.cinnox_trigger_result_latency_us(out, i) / 1e6,
                    )
                )
            return tuple(records)
        finally:
            lib.cinnox_trigger_result_free(out)

    def trigger_json(
        self, kind: Union[EventKind, int, str], json: str
    ) -> Tuple[DeliveryRecord, ...]:
        """Deliver the JSON text ``json``, as is, to the URLs subscribed to ``kind`` (an
        ``EventKind`` or its name, as ``Client.subscribe`` takes it)."""
        which = family(kind)
        if isinstance(which, str):
            which = EventKind.from_name(which)  # the sandbox knows the nine families only
        return self._trigger(
            lambda sb, out: _ffi.lib.cinnox_sandbox_trigger_json(
                sb, int(which), _ffi.arg(json), out
            )
        )

    def trigger_call_start(
        self,
        call_id: Optional[str] = None,
        caller_number: Optional[str] = None,
        callee_number: Optional[str] = None,
        *,
        wire: Wire = Wire(0),
    ) -> Tuple[DeliveryRecord, ...]:
        """Deliver a call start (None: a realistic default; the call ID is then random)."""
        return self._trigger(
            lambda sb, out: _ffi.lib.cinnox_sandbox_trigger_call_start(
                sb,
                _ffi.arg(call_id),
                _ffi.arg(caller_number),
                _ffi.arg(callee_number),
                int(wire),
                out,
            )
        )

    def trigger_call_end(
        self, call_id: Optional[str] = None, *, wire: Wire = Wire(0)
    ) -> Tuple[DeliveryRecord, ...]:
        """Deliver a call end for ``call_id`` (None: a random ID)."""
        return self._trigger(
            lambda sb, out: _ffi.lib.cinnox_sandbox_trigger_call_end(
                sb, _ffi.arg(call_id), int(wire), out
            )
        )

    def trigger_inbound_sms(
        self,
        sender_number: Optional[str] = None,
        recipient_number: Optional[str] = None,
        content: Optional[str] = None,
        *,
        wire: Wire = Wire(0),
    ) -> Tuple[DeliveryRecord, ...]:
        """Deliver an inbound SMS (None: a realistic default)."""
        return self._trigger(
            lambda sb, out: _ffi.lib.cinnox_sandbox_trigger_inbound_sms(
                sb,
                _ffi.arg(sender_number),
                _ffi.arg(recipient_number),
                _ffi.arg(content),
                int(wire),
                out,
            )
        )

    def trigger_delivery_report(
        self,
        transaction_id: Optional[str] = None,
        status: Optional[str] = None,
        *,
        wire: Wire = Wire(0),
    ) -> Tuple[DeliveryRecord, ...]:
        """Deliver an outbound SMS delivery report (status text such as ``"Delivered"``,
        ``"Undelivered"``, ``"Rejected"``; None: a realistic default)."""
        return self._trigger(
            lambda sb, out: _ffi.lib.cinnox_sandbox_trigger_outbound_sms(
                sb, _ffi.arg(transaction_id), _ffi.arg(status), int(wire), out
            )
        )

    def close(self) -> None:
        """Stop the sandbox (idempotent)."""
        self._h.close()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
