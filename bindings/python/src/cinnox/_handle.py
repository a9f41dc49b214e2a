"""Ownership of one library object: freed once, never while a call is using it."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from .errors import Closed


class Handle:
    """A pointer the library gave us to own, with the function that frees it.

    Every call goes through ``use()``; ``close()`` refuses new calls, runs ``wake`` (which
    makes blocked calls return, e.g. a receiver's shutdown), waits for the calls inside,
    then frees. So a Python program cannot free an object another thread is using, which
    is the one rule of the C ABI a caller could break.
    """

    def __init__(self, ptr: int, free: Callable[[int], None], what: str) -> None:
        self._ptr: Optional[int] = ptr
        self._free = free
        self._what = what
        self._cv = threading.Condition()
        self._users = 0
        self._closing = False

    @contextmanager
    def use(self) -> Iterator[int]:
        """The live pointer for the length of one call; ``Closed`` once closing."""
        with self._cv:
            if self._closing or self._ptr is None:
                raise Closed(f"the {self._what} is closed")
            self._users += 1
            ptr = self._ptr
        try:
            yield ptr
        finally:
            with self._cv:
                self._users -= 1
                if self._users == 0:
                    self._cv.notify_all()

    @property
    def closed(self) -> bool:
        return self._closing

    def close(self, wake: Optional[Callable[[int], object]] = None) -> None:
        """Refuse new calls, wake the blocked ones with ``wake``, wait for them, free.
        Idempotent; called from a call of its own it does not wait for itself."""
        with self._cv:
            if self._closing:
                return
            self._closing = True
            ptr = self._ptr
        if ptr is None:
            return
        if wake is not None:
            wake(ptr)
        with self._cv:
            while self._users > 0:
                self._cv.wait()
            self._ptr = None
        self._free(ptr)

    def __del__(self) -> None:
        # Unreachable, so no call can be using it.
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            try:
                self._free(ptr)
            except Exception:
                pass
