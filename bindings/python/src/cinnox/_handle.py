"""Ownership of one library object: freed once, never while a call is using it."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, Optional, Set

from .errors import Closed


class Handle:
    """A pointer the library gave us to own, with the function that frees it.

    Every call goes through ``use()``; ``close()`` refuses new calls, runs ``wake`` (which
    makes blocked calls return, e.g. a receiver's shutdown), waits for the calls inside,
    then frees. So a Python program cannot free an object another thread is using, which
    is the one rule of the C ABI a caller could break.

    ``replace()`` puts a new object in the old one's place (a client or inbox rebuilt with
    other settings): calls that start afterwards get the new one, the old one is freed
    once the last call using it has returned.
    """

    def __init__(self, ptr: int, free: Callable[[int], None], what: str) -> None:
        self._ptr: Optional[int] = ptr
        self._free = free
        self._what = what
        self._cv = threading.Condition()
        self._users = 0
        # Calls in progress per pointer, and the replaced pointers still in use.
        self._per_ptr: Dict[int, int] = {}
        self._retired: Set[int] = set()
        self._closing = False

    @contextmanager
    def use(self) -> Iterator[int]:
        """The live pointer for the length of one call; ``Closed`` once closing."""
        with self._cv:
            if self._closing or self._ptr is None:
                raise Closed(f"the {self._what} is closed")
            self._users += 1
            ptr = self._ptr
            self._per_ptr[ptr] = self._per_ptr.get(ptr, 0) + 1
        try:
            yield ptr
        finally:
            with self._cv:
                left = self._per_ptr[ptr] - 1
                if left:
                    self._per_ptr[ptr] = left
                else:
                    del self._per_ptr[ptr]
                stale = left == 0 and ptr in self._retired
                if stale:
                    self._retired.discard(ptr)
            # A replaced object is freed by its last user, before that user counts as gone
            # (so close() cannot return while it is being freed).
            if stale:
                self._free(ptr)
            with self._cv:
                self._users -= 1
                if self._users == 0:
                    self._cv.notify_all()

    def replace(self, ptr: int) -> None:
        """Put ``ptr`` in place of the current object, which is freed at once when no call
        is using it, else by the last call using it. ``Closed`` (and ``ptr`` freed) once
        closing."""
        with self._cv:
            old = self._ptr
            if self._closing or old is None:
                closed = True
            else:
                closed = False
                self._ptr = ptr
                in_use = old in self._per_ptr
                if in_use:
                    self._retired.add(old)
        if closed:
            self._free(ptr)
            raise Closed(f"the {self._what} is closed")
        if not in_use:
            self._free(old)

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
