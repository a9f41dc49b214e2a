"""The library's log lines, into Python's ``logging``."""

from __future__ import annotations

import atexit
import logging
from typing import Optional

from . import _ffi
from .errors import check

_LEVELS = {
    1: logging.ERROR,
    2: logging.WARNING,
    3: logging.INFO,
    4: logging.DEBUG,
    5: logging.DEBUG - 5,
}

_callback = None  # kept alive while the library may call it


def set_log_level(level: Optional[int] = logging.INFO) -> None:
    """Send the library's log lines at ``level`` and above (a ``logging`` level) to Python's
    ``logging``, under the logger names the library uses (``cinnox.receiver``,
    ``cinnox.inbox``, …); ``None`` turns them off. No line above DEBUG-5 (the library's
    trace) ever carries the App Token, the webhook path, message content or phone numbers.
    Lines come from the library's threads; ``logging`` is thread-safe."""
    global _callback
    if level is None:
        _off()
        return
    max_level = max(
        (lib_level for lib_level, py_level in _LEVELS.items() if py_level >= level), default=1
    )

    def forward(_userdata, lib_level: int, target: bytes, message: bytes) -> None:
        try:
            name = (target or b"cinnox").decode("utf-8", "replace").replace("::", ".")
            logging.getLogger(name).log(
                _LEVELS.get(lib_level, logging.DEBUG), message.decode("utf-8", "replace")
            )
        except BaseException:
            pass  # never into the library

    callback = _ffi.LOG_CALLBACK(forward)
    check(_ffi.lib.cinnox_set_log_callback(max_level, callback, None))
    if _callback is None:
        # The library's threads may still log while the interpreter shuts down, when
        # calling into Python is no longer possible: stop forwarding first.
        atexit.register(_off)
    _callback = callback


def _off() -> None:
    global _callback
    if _callback is not None:
        _ffi.lib.cinnox_set_log_callback(1, _ffi.LOG_CALLBACK(), None)
        _callback = None
