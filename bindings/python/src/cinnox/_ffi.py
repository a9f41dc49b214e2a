"""The C ABI of the cinnox library (include/cinnox.h), declared for ctypes.

Nothing here is public: the classes of the package wrap it. ctypes releases the GIL around
every call, so a blocking call (recv, trigger, subscribe) lets other Python threads run.
"""

from __future__ import annotations

import ctypes
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_int,
    c_int64,
    c_size_t,
    c_uint16,
    c_uint32,
    c_uint64,
    c_uint8,
    c_void_p,
)
from pathlib import Path

if sys.platform == "darwin":
    _NAME = "libcinnox.dylib"
elif sys.platform == "win32":
    _NAME = "cinnox.dll"
else:
    _NAME = "libcinnox.so"


def _load() -> ctypes.CDLL:
    """The library in this package (put there by its build), or $CINNOX_LIBRARY."""
    given = os.environ.get("CINNOX_LIBRARY")
    path = Path(given) if given else Path(__file__).resolve().parent / _NAME
    try:
        return ctypes.CDLL(str(path))
    except OSError as e:
        raise ImportError(
            f"cannot load the cinnox library from {path}: {e} "
            "(reinstall the package, or set CINNOX_LIBRARY to a libcinnox)"
        ) from e


lib = _load()

OK = 0
ERR_NULL_ARGUMENT = 1
ERR_INVALID_ARGUMENT = 2
ERR_TRANSPORT = 3
ERR_TIMEOUT = 4
ERR_API = 5
ERR_UNEXPECTED_RESPONSE = 6
ERR_BAD_REQUEST = 7
ERR_IO = 8
ERR_CLOSED = 9
ERR_PANIC = 10
ERR_WRONG_TYPE = 11
ERR_OTHER = 255

WAIT_FOREVER = 0xFFFFFFFF

EVENT_TYPE_CHALLENGE = 1
EVENT_TYPE_CALL_START = 2
EVENT_TYPE_CALL_END = 3
EVENT_TYPE_INBOUND_SMS = 4
EVENT_TYPE_OUTBOUND_SMS = 5
EVENT_TYPE_OTHER = 6


class Party(Structure):
    _fields_ = [("eid", c_char_p), ("number", c_char_p)]


class Call(Structure):
    _fields_ = [
        ("id", c_char_p),
        ("service_id", c_char_p),
        ("caller", Party),
        ("callees", POINTER(Party)),
        ("callee_count", c_size_t),
    ]


class InboundSms(Structure):
    _fields_ = [
        ("id", c_char_p),
        ("event_description", c_char_p),
        ("sender_number", c_char_p),
        ("recipient_number", c_char_p),
        ("receive_time", c_char_p),
        ("content_type", c_char_p),
        ("content", c_void_p),
        ("content_len", c_size_t),
    ]


class OutboundSms(Structure):
    _fields_ = [
        ("report_type", c_char_p),
        ("app_id", c_char_p),
        ("service_id", c_char_p),
        ("transaction_id", c_char_p),
        ("recipient_number", c_char_p),
        ("recipient_country", c_char_p),
        ("response_code", c_char_p),
        ("status", c_uint32),
        ("status_text", c_char_p),
        ("exception", c_char_p),
    ]


class OtherEvent(Structure):
    _fields_ = [("family", c_char_p), ("status", c_char_p), ("id", c_char_p)]


# The receiver's counters, in the order of their CINNOX_COUNTER_* numbers: COUNTERS[i] is
# read by cinnox_receiver_counter(rx, i + 1, &value) (cinnox_counter_name(i + 1) names it;
# a test holds the two together). A counter added to the library is appended here.
COUNTERS = (
    "requests",
    "challenges",
    "events",
    "acks",
    "fails",
    "duplicates",
    "refused_not_found",
    "refused_method",
    "refused_too_large",
    "refused_media_type",
    "refused_forbidden",
    "refused_bad_request",
    "handler_panics",
    "refused_connections",
    "read_timeouts",
    "malformed_requests",
    "expired_deliveries",
    "evicted_connections",
    "open_connections",
    "fd_exhaustions",
    "slow_readers",
    "store_failures",
)


HANDLER = CFUNCTYPE(c_int, c_void_p, c_void_p)
LOG_CALLBACK = CFUNCTYPE(None, c_void_p, c_uint32, c_char_p, c_char_p)

_P = c_void_p
_PP = POINTER(c_void_p)
_S = c_char_p

_SIGNATURES = {
    # errors and version
    "cinnox_version": ([], c_char_p),
    "cinnox_last_error_message": ([], c_char_p),
    "cinnox_last_error_http_status": ([], c_uint16),
    "cinnox_last_error_api_code": ([], c_int64),
    "cinnox_result_name": ([c_uint32], c_char_p),
    # client
    "cinnox_client_new": ([_S, _S, _PP], c_uint32),
    "cinnox_client_free": ([_P], None),
    "cinnox_client_builder_new": ([_S, _S, _PP], c_uint32),
    "cinnox_client_builder_set_timeouts": ([_P, c_uint32, c_uint32], c_uint32),
    "cinnox_client_builder_set_retry": ([_P, c_uint32, c_uint32, c_uint32, c_uint32], c_uint32),
    "cinnox_client_builder_set_user_agent": ([_P, _S], c_uint32),
    "cinnox_client_builder_build": ([_P, _PP], c_uint32),
    "cinnox_client_builder_free": ([_P], None),
    "cinnox_client_subscribe": ([_P, _S, c_uint32, _S, _PP], c_uint32),
    "cinnox_client_unsubscribe": ([_P, _S, c_uint32, _S, _PP], c_uint32),
    "cinnox_client_set_subscription_slug": ([_P, _S, _S, c_bool, _S, _PP], c_uint32),
    "cinnox_subscription_enabled": ([_P], c_bool),
    "cinnox_subscription_url": ([_P], c_char_p),
    "cinnox_subscription_updated_at": ([_P], c_char_p),
    "cinnox_subscription_free": ([_P], None),
    # events
    "cinnox_parse": ([c_char_p, c_size_t, _PP], c_uint32),
    "cinnox_event_free": ([_P], None),
    "cinnox_event_get_type": ([_P], c_uint32),
    "cinnox_event_raw": ([_P, POINTER(c_size_t)], POINTER(c_uint8)),
    "cinnox_event_call": ([_P], POINTER(Call)),
    "cinnox_event_inbound_sms": ([_P], POINTER(InboundSms)),
    "cinnox_event_outbound_sms": ([_P], POINTER(OutboundSms)),
    "cinnox_event_other": ([_P], POINTER(OtherEvent)),
    "cinnox_event_dedup_key": ([_P], c_char_p),
    # receiver
    "cinnox_receiver_config_builder_new": ([_S, _PP], c_uint32),
    "cinnox_receiver_config_builder_set_max_body": ([_P, c_size_t], c_uint32),
    "cinnox_receiver_config_builder_allow_source": ([_P, _S], c_uint32),
    "cinnox_receiver_config_builder_trust_proxy": ([_P, _S], c_uint32),
    "cinnox_receiver_config_builder_set_dedup_window": ([_P, c_uint32], c_uint32),
    "cinnox_receiver_config_builder_set_max_connections": ([_P, c_size_t], c_uint32),
    "cinnox_receiver_config_builder_set_io_threads": ([_P, c_size_t], c_uint32),
    "cinnox_receiver_config_builder_set_header_timeout": ([_P, c_uint32], c_uint32),
    "cinnox_receiver_config_builder_set_per_source_limit": ([_P, c_size_t], c_uint32),
    "cinnox_receiver_config_builder_set_inbox": ([_P, _P], c_uint32),
    "cinnox_receiver_config_builder_set_metrics_bind": ([_P, _S], c_uint32),
    "cinnox_receiver_config_builder_build": ([_P, _PP], c_uint32),
    "cinnox_receiver_config_builder_free": ([_P], None),
    "cinnox_receiver_config_free": ([_P], None),
    "cinnox_receiver_new_with_config": ([_S, _P, _PP], c_uint32),
    "cinnox_receiver_port": ([_P], c_uint16),
    "cinnox_receiver_metrics_port": ([_P], c_uint16),
    "cinnox_receiver_recv": ([_P, c_uint32, _PP], c_uint32),
    "cinnox_receiver_serve": ([_P, c_size_t, HANDLER, _P], c_uint32),
    "cinnox_receiver_shutdown": ([_P], c_uint32),
    "cinnox_receiver_counter": ([_P, c_uint32, POINTER(c_uint64)], c_uint32),
    "cinnox_counter_name": ([c_uint32], c_char_p),
    "cinnox_receiver_metrics": ([_P, POINTER(c_void_p)], c_uint32),
    "cinnox_receiver_free": ([_P], None),
    "cinnox_string_free": ([_P], None),
    "cinnox_delivery_event": ([_P], _P),
    "cinnox_delivery_ack": ([_P], c_uint32),
    "cinnox_delivery_fail": ([_P], c_uint32),
    "cinnox_delivery_free": ([_P], None),
    # inbox
    "cinnox_inbox_open": ([_S, _PP], c_uint32),
    "cinnox_inbox_free": ([_P], None),
    "cinnox_inbox_builder_new": ([_S, _PP], c_uint32),
    "cinnox_inbox_builder_set_retry": ([_P, c_uint32, c_uint32, c_uint32], c_uint32),
    "cinnox_inbox_builder_build": ([_P, _PP], c_uint32),
    "cinnox_inbox_builder_free": ([_P], None),
    "cinnox_inbox_recv": ([_P, c_uint32, _PP], c_uint32),
    "cinnox_inbox_snapshot_new": ([_P, _PP], c_uint32),
    "cinnox_inbox_snapshot_pending": ([_P], c_uint64),
    "cinnox_inbox_snapshot_in_flight": ([_P], c_uint64),
    "cinnox_inbox_snapshot_done": ([_P], c_uint64),
    "cinnox_inbox_snapshot_dead": ([_P], c_uint64),
    "cinnox_inbox_snapshot_oldest_pending_age_ms": ([_P], c_uint64),
    "cinnox_inbox_snapshot_free": ([_P], None),
    "cinnox_inbox_replay_dead": ([_P, POINTER(c_uint64)], c_uint32),
    # logs
    "cinnox_set_log_callback": ([c_uint32, LOG_CALLBACK, _P], c_uint32),
    # sandbox
    "cinnox_sandbox_start": ([_PP], c_uint32),
    "cinnox_sandbox_start_with": ([c_uint32, POINTER(c_uint32), c_size_t, _PP], c_uint32),
    "cinnox_sandbox_free": ([_P], None),
    "cinnox_sandbox_base_url": ([_P], c_char_p),
    "cinnox_sandbox_add_app": ([_P, _S, _S], c_uint32),
    "cinnox_sandbox_subscription_count": ([_P], c_size_t),
    "cinnox_sandbox_trigger_json": ([_P, c_uint32, _S, _PP], c_uint32),
    "cinnox_sandbox_trigger_call_start": ([_P, _S, _S, _S, c_uint32, _PP], c_uint32),
    "cinnox_sandbox_trigger_call_end": ([_P, _S, c_uint32, _PP], c_uint32),
    "cinnox_sandbox_trigger_inbound_sms": ([_P, _S, _S, _S, c_uint32, _PP], c_uint32),
    "cinnox_sandbox_trigger_outbound_sms": ([_P, _S, _S, c_uint32, _PP], c_uint32),
    "cinnox_trigger_result_count": ([_P], c_size_t),
    "cinnox_trigger_result_delivered": ([_P, c_size_t], c_bool),
    "cinnox_trigger_result_attempts": ([_P, c_size_t], c_size_t),
    "cinnox_trigger_result_status": ([_P, c_size_t, c_size_t], c_uint16),
    "cinnox_trigger_result_latency_us": ([_P, c_size_t], c_uint64),
    "cinnox_trigger_result_free": ([_P], None),
}

for _name, (_args, _ret) in _SIGNATURES.items():
    _f = getattr(lib, _name)
    _f.argtypes = _args
    _f.restype = _ret


def text(value: bytes | None) -> str | None:
    """A C string lent by the library, as str (None for NULL)."""
    return None if value is None else value.decode("utf-8", "replace")


def arg(value: str | None) -> bytes | None:
    """A str for the library (None stays NULL)."""
    return None if value is None else value.encode("utf-8")
