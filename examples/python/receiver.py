#!/usr/bin/env python3
"""A CINNOX webhook receiver in Python, through the C ABI with the standard ctypes only.

    receiver.py [BIND_ADDR [PATH [COUNT]]]

BIND_ADDR defaults to 127.0.0.1:8080 (port 0 picks a free port), PATH to /cinnox/hook. With
COUNT > 0 it exits after handling COUNT events. The library is loaded from $CINNOX_LIB, or
found as "cinnox" on the system's library path.
"""

import ctypes
import ctypes.util
import os
import sys

CINNOX_OK = 0
CINNOX_ERR_TIMEOUT = 4

EVENT_TYPES = {
    2: "call-start",
    3: "call-end",
    4: "inbound-sms",
    5: "outbound-sms",
    6: "other",
}


class Party(ctypes.Structure):
    _fields_ = [("eid", ctypes.c_char_p), ("number", ctypes.c_char_p)]


class Call(ctypes.Structure):
    _fields_ = [
        ("id", ctypes.c_char_p),
        ("service_id", ctypes.c_char_p),
        ("caller", Party),
        ("callees", ctypes.POINTER(Party)),
        ("callee_count", ctypes.c_size_t),
    ]


class InboundSms(ctypes.Structure):
    _fields_ = [
        ("id", ctypes.c_char_p),
        ("event_description", ctypes.c_char_p),
        ("sender_number", ctypes.c_char_p),
        ("recipient_number", ctypes.c_char_p),
        ("receive_time", ctypes.c_char_p),
        ("content_type", ctypes.c_char_p),
        ("content", ctypes.c_void_p),  # may hold NUL bytes: read content_len bytes
        ("content_len", ctypes.c_size_t),
    ]


class OutboundSms(ctypes.Structure):
    _fields_ = [
        ("report_type", ctypes.c_char_p),
        ("app_id", ctypes.c_char_p),
        ("service_id", ctypes.c_char_p),
        ("transaction_id", ctypes.c_char_p),
        ("recipient_number", ctypes.c_char_p),
        ("recipient_country", ctypes.c_char_p),
        ("response_code", ctypes.c_char_p),
        ("status", ctypes.c_uint32),
        ("status_text", ctypes.c_char_p),
        ("exception", ctypes.c_char_p),
    ]


def load():
    path = os.environ.get("CINNOX_LIB") or ctypes.util.find_library("cinnox")
    if not path:
        sys.exit("libcinnox not found: set CINNOX_LIB to its path")
    lib = ctypes.CDLL(path)
    p = ctypes.c_void_p
    sigs = {
        "cinnox_version": ([], ctypes.c_char_p),
        "cinnox_last_error_message": ([], ctypes.c_char_p),
        "cinnox_receiver_new": ([ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(p)], ctypes.c_uint32),
        "cinnox_receiver_port": ([p], ctypes.c_uint16),
        "cinnox_receiver_recv": ([p, ctypes.c_uint32, ctypes.POINTER(p)], ctypes.c_uint32),
        "cinnox_receiver_free": ([p], None),
        "cinnox_delivery_event": ([p], p),
        "cinnox_delivery_ack": ([p], ctypes.c_uint32),
        "cinnox_delivery_fail": ([p], ctypes.c_uint32),
        "cinnox_event_get_type": ([p], ctypes.c_uint32),
        "cinnox_event_raw": ([p, ctypes.POINTER(ctypes.c_size_t)], p),
        "cinnox_event_call": ([p], ctypes.POINTER(Call)),
        "cinnox_event_inbound_sms": ([p], ctypes.POINTER(InboundSms)),
        "cinnox_event_outbound_sms": ([p], ctypes.POINTER(OutboundSms)),
    }
    for name, (args, res) in sigs.items():
        f = getattr(lib, name)
        f.argtypes = args
        f.restype = res
    return lib


def text(b):
    return b.decode("utf-8") if b is not None else "-"


def describe(lib, ev):
    kind = EVENT_TYPES.get(lib.cinnox_event_get_type(ev), "other")
    if kind in ("call-start", "call-end"):
        c = lib.cinnox_event_call(ev).contents
        callees = [text(c.callees[i].number) for i in range(c.callee_count)]
        return f"{kind} id={text(c.id)} caller={text(c.caller.number)} callees={','.join(callees)}"
    if kind == "inbound-sms":
        s = lib.cinnox_event_inbound_sms(ev).contents
        content = ctypes.string_at(s.content, s.content_len).decode("utf-8") if s.content else ""
        return f"{kind} id={text(s.id)} from={text(s.sender_number)} text={content}"
    if kind == "outbound-sms":
        o = lib.cinnox_event_outbound_sms(ev).contents
        return f"{kind} transaction={text(o.transaction_id)} status={text(o.status_text)}"
    n = ctypes.c_size_t()
    raw = lib.cinnox_event_raw(ev, ctypes.byref(n))
    return f"other {ctypes.string_at(raw, n.value).decode('utf-8', 'replace')}"


def main():
    addr = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8080"
    path = sys.argv[2] if len(sys.argv) > 2 else "/cinnox/hook"
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    lib = load()

    rx = ctypes.c_void_p()
    if lib.cinnox_receiver_new(addr.encode(), path.encode(), ctypes.byref(rx)) != CINNOX_OK:
        sys.exit(f"receiver: {text(lib.cinnox_last_error_message())}")
    try:
        print(f"listening on port {lib.cinnox_receiver_port(rx)}", flush=True)
        handled = 0
        while count <= 0 or handled < count:
            d = ctypes.c_void_p()
            r = lib.cinnox_receiver_recv(rx, 1000, ctypes.byref(d))
            if r == CINNOX_ERR_TIMEOUT:
                continue
            if r != CINNOX_OK:
                sys.exit(f"recv: {text(lib.cinnox_last_error_message())}")
            try:
                print(describe(lib, lib.cinnox_delivery_event(d)), flush=True)
            except Exception:
                lib.cinnox_delivery_fail(d)  # 500: CINNOX may deliver it again
                raise
            lib.cinnox_delivery_ack(d)
            handled += 1
        print(f"handled {handled} events", flush=True)
    finally:
        lib.cinnox_receiver_free(rx)


if __name__ == "__main__":
    main()
