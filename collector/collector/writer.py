"""A single writer thread that commits queued deliveries in groups.

Why one thread: SQLite allows one writer at a time anyway, a sqlite3/psycopg connection must
not be shared between threads, and the event loop must never wait on disk. Why groups: each
commit costs an fsync; deliveries that arrive while one commit is in flight are committed
together in the next, so throughput grows with concurrency while every delivery is still
on disk before its request is answered.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future

from collector.inbox import Delivery, Inbox, InboxError, InboxWriter, one_line

log = logging.getLogger("collector.writer")

_Item = tuple[Delivery, "Future[int | None]"]


class WriteQueue:
    def __init__(self, inbox: Inbox, max_batch: int = 256) -> None:
        self.inbox = inbox
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
        self._writer: InboxWriter | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Commit what is queued, then end the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def pending(self) -> int:
        return self._queue.qsize()

    def submit(self, delivery: Delivery) -> Future[int | None]:
        """The future resolves to the inbox_sequence (None for a duplicate) once committed.

        Cancelling it before the writer picks it up guarantees it is never written."""
        future: Future[int | None] = Future()
        self._queue.put((delivery, future))
        return future

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            # A request that timed out has cancelled its future: don't write what was refused.
            live = [item for item in batch if item[1].set_running_or_notify_cancel()]
            if live:
                self._commit(live)
        if self._writer is not None:
            self._writer.close()

    def _commit(self, items: Sequence[_Item]) -> None:
        try:
            results = self._insert([delivery for delivery, _ in items])
        except Exception as exc:
            if len(items) == 1 or isinstance(exc, _Unavailable):
                for _, future in items:
                    future.set_exception(exc)
                return
            # One bad delivery must not fail the others in its group: retry them one by one.
            for i, (delivery, future) in enumerate(items):
                try:
                    future.set_result(self._insert([delivery])[0])
                except _Unavailable as down:
                    for _, rest in items[i:]:
                        rest.set_exception(down)
                    return
                except Exception as one:
                    future.set_exception(one)
            return
        for (_, future), result in zip(items, results, strict=True):
            future.set_result(result)

    def _insert(self, deliveries: list[Delivery]) -> list[int | None]:
        if self._writer is None:
            try:
                self._writer = self.inbox.writer()
            except Exception as exc:
                log.error("inbox %s unavailable: %s", self.inbox.display_url, one_line(exc))
                raise _Unavailable(one_line(exc)) from exc
        try:
            return self._writer.insert(deliveries)
        except Exception as exc:
            log.error("inbox write failed (%d deliveries): %s", len(deliveries), one_line(exc))
            # The connection may be broken: reopen it for the next write.
            with contextlib.suppress(Exception):
                self._writer.close()
            self._writer = None
            raise


class _Unavailable(InboxError):
    """The write connection could not be opened; no point trying the rest of a group."""
