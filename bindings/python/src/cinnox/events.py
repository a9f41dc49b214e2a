"""Typed events, copied out of the library so that they outlive their delivery."""

from __future__ import annotations

import ctypes
import enum
import string
from dataclasses import dataclass, field
from typing import Optional, Tuple, Union

from . import _ffi
from .errors import InvalidArgument, check


class EventKind(enum.IntEnum):
    """The event families one subscribes to (``Client.subscribe``)."""

    CALL = 1
    """Call start and call end."""
    INBOUND_SMS = 2
    """SMS received on a CINNOX number."""
    OUTBOUND_SMS = 3
    """Delivery reports of SMS sent through CINNOX."""
    INQUIRY = 4
    RECORDING = 5
    EXTERNAL_CONTACT = 6
    STAFF_CONTACT = 7
    LABEL = 8
    INQUIRY_LABEL = 9

    @property
    def short_name(self) -> str:
        """The name the ``cinnox`` command line uses: ``"call"``, ``"inbound-sms"``, …"""
        return self.name.lower().replace("_", "-")

    @property
    def slug(self) -> str:
        """The family's path segment in the Open API: ``"call-event-sub"``, …"""
        return self.short_name + "-event-sub"

    @classmethod
    def from_name(cls, name: str) -> "EventKind":
        """The family named ``name``, as the command line spells it (``"call"``,
        ``"inbound-sms"``, …) or as its slug (``"call-event-sub"``).

        Raises ``InvalidArgument`` (a ``ValueError``) naming the valid names otherwise.
        """
        for kind in cls:
            if name in (kind.short_name, kind.slug):
                return kind
        names = ", ".join(k.short_name for k in cls)
        raise InvalidArgument(
            f"unknown event family {name!r} (one of: {names}; or a slug such as "
            "'call-event-sub')",
            code=_ffi.ERR_INVALID_ARGUMENT,
        )


def _is_slug(name: str) -> bool:
    """Whether ``name`` looks like an Open API slug this package may not know
    (``"fax-event-sub"``): lowercase letters, digits and ``-``, ending in ``-sub``."""
    return name.endswith("-sub") and all(c in _SLUG_CHARACTERS for c in name)


_SLUG_CHARACTERS = frozenset(string.ascii_lowercase + string.digits + "-")


def family(kind: Union[EventKind, int, str]) -> Union[EventKind, int, str]:
    """``kind`` as the library takes it: an ``EventKind`` (or its number) as it is, a name
    as ``EventKind.from_name`` reads it, and a slug this package does not know (such as
    ``"fax-event-sub"``) as that slug."""
    if isinstance(kind, str):
        for known in EventKind:
            if kind in (known.short_name, known.slug):
                return known
        if _is_slug(kind):
            return kind
        return EventKind.from_name(kind)
    if isinstance(kind, bool) or not isinstance(kind, int):
        names = ", ".join(k.short_name for k in EventKind)
        raise InvalidArgument(
            f"an event family is an EventKind or one of its names ({names}), "
            f"not {type(kind).__name__} {kind!r}",
            code=_ffi.ERR_INVALID_ARGUMENT,
        )
    return kind


class DeliveryStatus(enum.IntEnum):
    """The ``Status`` of an outbound SMS delivery report."""

    NONE = 0
    """No status field."""
    QUEUED = 1
    SUBMITTED = 2
    DELIVERED = 3
    UNDELIVERED = 4
    REJECTED = 5
    OTHER = 6
    """Text this version does not know: see ``status_text``."""


@dataclass(frozen=True)
class Party:
    """A caller or a callee: CINNOX's ``eid`` and the phone number, when known."""

    eid: Optional[str]
    number: Optional[str]


@dataclass(frozen=True)
class _Call:
    id: str
    service_id: Optional[str]
    caller: Party
    callees: Tuple[Party, ...]
    dedup_key: str = field(repr=False)
    raw: bytes = field(repr=False)


@dataclass(frozen=True)
class CallStart(_Call):
    """A call started (``callStart``)."""


@dataclass(frozen=True)
class CallEnd(_Call):
    """A call ended (``callEnd``)."""


@dataclass(frozen=True)
class InboundSms:
    """An SMS received on a CINNOX number (``NewInboundSMS``).

    ``content`` is the text as sent (its bytes decoded as UTF-8, with replacement);
    ``content_bytes`` is exactly what arrived.
    """

    id: str
    event_description: Optional[str]
    sender_number: Optional[str]
    recipient_number: Optional[str]
    receive_time: Optional[str]
    content_type: Optional[str]
    content: str = field(repr=False)
    content_bytes: bytes = field(repr=False)
    dedup_key: str = field(repr=False)
    raw: bytes = field(repr=False)


@dataclass(frozen=True)
class DeliveryReport:
    """The delivery report of an SMS sent through CINNOX (an outbound SMS event)."""

    report_type: Optional[str]
    app_id: Optional[str]
    service_id: Optional[str]
    transaction_id: Optional[str]
    recipient_number: Optional[str]
    recipient_country: Optional[str]
    response_code: Optional[str]
    status: DeliveryStatus
    status_text: Optional[str]
    exception: Optional[str]
    dedup_key: str = field(repr=False)
    raw: bytes = field(repr=False)


@dataclass(frozen=True)
class Other:
    """An event of a family without a typed shape (inquiries, labels, …): see ``raw``."""

    family: Optional[str]
    status: Optional[str]
    id: Optional[str]
    dedup_key: str = field(repr=False)
    raw: bytes = field(repr=False)


Event = Union[CallStart, CallEnd, InboundSms, DeliveryReport, Other]
"""Any event the receiver hands out."""


def _party(p: _ffi.Party) -> Party:
    return Party(eid=_ffi.text(p.eid), number=_ffi.text(p.number))


def from_pointer(ev: int) -> Event:
    """Copy the event at ``ev`` (a ``const cinnox_event *``) into its dataclass."""
    lib = _ffi.lib
    n = ctypes.c_size_t(0)
    raw_ptr = lib.cinnox_event_raw(ev, ctypes.byref(n))
    raw = ctypes.string_at(raw_ptr, n.value) if raw_ptr else b""
    dedup = _ffi.text(lib.cinnox_event_dedup_key(ev)) or ""
    kind = lib.cinnox_event_get_type(ev)
    if kind in (_ffi.EVENT_TYPE_CALL_START, _ffi.EVENT_TYPE_CALL_END):
        c = lib.cinnox_event_call(ev).contents
        cls = CallStart if kind == _ffi.EVENT_TYPE_CALL_START else CallEnd
        return cls(
            id=_ffi.text(c.id) or "",
            service_id=_ffi.text(c.service_id),
            caller=_party(c.caller),
            callees=tuple(_party(c.callees[i]) for i in range(c.callee_count)),
            dedup_key=dedup,
            raw=raw,
        )
    if kind == _ffi.EVENT_TYPE_INBOUND_SMS:
        s = lib.cinnox_event_inbound_sms(ev).contents
        content = ctypes.string_at(s.content, s.content_len) if s.content else b""
        return InboundSms(
            id=_ffi.text(s.id) or "",
            event_description=_ffi.text(s.event_description),
            sender_number=_ffi.text(s.sender_number),
            recipient_number=_ffi.text(s.recipient_number),
            receive_time=_ffi.text(s.receive_time),
            content_type=_ffi.text(s.content_type),
            content=content.decode("utf-8", "replace"),
            content_bytes=content,
            dedup_key=dedup,
            raw=raw,
        )
    if kind == _ffi.EVENT_TYPE_OUTBOUND_SMS:
        o = lib.cinnox_event_outbound_sms(ev).contents
        try:
            status = DeliveryStatus(o.status)
        except ValueError:
            status = DeliveryStatus.OTHER
        return DeliveryReport(
            report_type=_ffi.text(o.report_type),
            app_id=_ffi.text(o.app_id),
            service_id=_ffi.text(o.service_id),
            transaction_id=_ffi.text(o.transaction_id),
            recipient_number=_ffi.text(o.recipient_number),
            recipient_country=_ffi.text(o.recipient_country),
            response_code=_ffi.text(o.response_code),
            status=status,
            status_text=_ffi.text(o.status_text),
            exception=_ffi.text(o.exception),
            dedup_key=dedup,
            raw=raw,
        )
    other = lib.cinnox_event_other(ev)
    if other:
        o = other.contents
        return Other(
            family=_ffi.text(o.family),
            status=_ffi.text(o.status),
            id=_ffi.text(o.id),
            dedup_key=dedup,
            raw=raw,
        )
    return Other(family=None, status=None, id=None, dedup_key=dedup, raw=raw)


def parse(body: bytes) -> Event:
    """Parse a webhook body into its event (for a server of your own).

    Raises ``BadRequest`` for a body that is not an event, and ``WrongType`` for a
    URL-verification challenge (which a server answers, not handles).
    """
    lib = _ffi.lib
    ev = ctypes.c_void_p()
    check(lib.cinnox_parse(body, len(body), ctypes.byref(ev)))
    try:
        if lib.cinnox_event_get_type(ev) == _ffi.EVENT_TYPE_CHALLENGE:
            from .errors import WrongType

            raise WrongType("this body is a URL-verification challenge, not an event")
        return from_pointer(ev)
    finally:
        lib.cinnox_event_free(ev)
