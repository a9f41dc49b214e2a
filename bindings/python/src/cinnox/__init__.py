"""CINNOX event subscriptions from Python.

Subscribe webhook URLs to CINNOX events (``Client``), receive them on a hardened webhook
receiver that answers CINNOX's URL verification by itself (``Receiver``), optionally
through a durable inbox (``Inbox``), and try it all against a local stand-in for CINNOX
(``Sandbox``). Events are dataclasses: ``CallStart``, ``CallEnd``, ``InboundSms``,
``DeliveryReport``, ``Other``. Failures raise ``cinnox.Error`` subclasses.

    import cinnox

    with cinnox.Sandbox(app_id="app-1", app_token="token") as sandbox, \\
         cinnox.Receiver("127.0.0.1:0") as receiver:
        cinnox.Client(sandbox.base_url, "token").subscribe(
            "app-1", cinnox.EventKind.CALL, receiver.url)
        ...
        with receiver.recv(timeout=10) as delivery:   # acked when the block ends
            print(delivery.event)

The functions of the library run outside the GIL: other Python threads run while one
waits in ``recv`` or a trigger.
"""

from . import _ffi
from ._logging import set_log_level
from .client import Client, Subscription
from .errors import (
    ApiError,
    BadRequest,
    Closed,
    Error,
    InvalidArgument,
    IoError,
    LibraryPanic,
    Timeout,
    TransportError,
    UnexpectedResponse,
    WrongType,
)
from .events import (
    CallEnd,
    CallStart,
    DeliveryReport,
    DeliveryStatus,
    Event,
    EventKind,
    InboundSms,
    Other,
    Party,
    parse,
)
from .receiver import Delivery, Inbox, InboxStats, Receiver, ReceiverStats
from .sandbox import DeliveryRecord, Sandbox, Wire

__version__ = "0.2.0"


def library_version() -> str:
    """The version of the cinnox library inside this package."""
    return _ffi.text(_ffi.lib.cinnox_version()) or ""


__all__ = [
    "ApiError",
    "BadRequest",
    "CallEnd",
    "CallStart",
    "Client",
    "Closed",
    "Delivery",
    "DeliveryRecord",
    "DeliveryReport",
    "DeliveryStatus",
    "Error",
    "Event",
    "EventKind",
    "Inbox",
    "InboxStats",
    "InboundSms",
    "InvalidArgument",
    "IoError",
    "LibraryPanic",
    "Other",
    "Party",
    "Receiver",
    "ReceiverStats",
    "Sandbox",
    "Subscription",
    "Timeout",
    "TransportError",
    "UnexpectedResponse",
    "Wire",
    "WrongType",
    "library_version",
    "parse",
    "set_log_level",
]
