"""One model, many threads: the model is used in short turns, handed out first come, first served.

spaCy pipelines are not guaranteed thread-safe, so one thread at a time uses the model. With one plain lock
held for a whole request, eight 20,000-character texts kept a one-line request waiting for 19 seconds, and a
backlog labelled on the request thread blocked everything. Here every caller labels in turns of a few texts
(`SharedModel.predict`), and `FairLock` gives the model to waiting threads in arrival order, so a request
that arrives behind a long one or behind a backlog job waits about one turn; a caller with a deadline gets
`ModelBusy` when it passes, and a backlog job stops at its next turn once it is cancelled.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from classifier.model.predictor import TensionModel

#: Most characters and texts labelled in one turn (one text longer than that is a turn of its own).
TURN_CHARS = 20_000
TURN_TEXTS = 64


class ModelBusy(Exception):
    """The deadline passed before the model was free, or before every text was labelled."""


class Cancelled(Exception):
    """The job was cancelled (deleted from the page, or the server is stopping)."""


class FairLock:
    """A lock that goes to the waiting threads in the order they asked for it, with a timeout.

    `threading.Lock` makes no promise of order: a thread that releases and re-acquires it in a loop can keep
    it from the others indefinitely.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: collections.deque[threading.Event] = collections.deque()
        self._locked = False

    def acquire(self, timeout: float | None = None) -> bool:
        """Take the lock; False if `timeout` seconds (None: no limit) passed first."""
        with self._mutex:
            if not self._locked and not self._waiters:
                self._locked = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        turn.wait(None if timeout is None else max(0.0, timeout))
        with self._mutex:
            if turn.is_set():  # handed over by release(), possibly just as the wait timed out
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().set()  # hand over: the lock stays taken, by the next in line
            else:
                self._locked = False

    def __enter__(self) -> FairLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class SharedModel:
    """A `TensionModel` shared by the server's threads: labels in turns under one `FairLock`."""

    def __init__(self, model: TensionModel, *, turn_chars: int = TURN_CHARS, turn_texts: int = TURN_TEXTS) -> None:
        self.model = model
        self.lock = FairLock()
        self.turn_chars = turn_chars
        self.turn_texts = turn_texts

    def predict(self, texts: Sequence[Any], *, deadline: float | None = None,
                cancelled: Callable[[], bool] | None = None, **options: Any) -> list:
        """``model.predict(texts, **options)``, one turn at a time.

        Raises
        ------
        ModelBusy
            `deadline` (a `time.monotonic` value) passed before all texts were labelled.
        Cancelled
            `cancelled()` became true.
        """
        results: list = []
        for turn in self._turns(texts):
            with self.turn(deadline, cancelled):
                results += self.model.predict(turn, **options)
        return results

    @contextlib.contextmanager
    def turn(self, deadline: float | None = None,
             cancelled: Callable[[], bool] | None = None) -> Iterator[TensionModel]:
        """Use the model alone for the ``with`` block (after waiting for the callers ahead)."""
        if cancelled is not None and cancelled():
            raise Cancelled
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise ModelBusy
        if not self.lock.acquire(remaining):
            raise ModelBusy
        try:
            yield self.model
        finally:
            self.lock.release()

    def taking_turns(self, cancelled: Callable[[], bool] | None = None) -> TensionModel:
        """A `TensionModel` for `classifier.labelling.batch.label_file` whose ``predict`` takes turns (and stops when
        `cancelled()` becomes true)."""
        return _TakingTurns(self, cancelled)

    def _turns(self, texts: Sequence[Any]) -> Iterator[list]:
        turn: list = []
        size = 0
        for text in texts:
            length = len(text) if isinstance(text, str) else 0
            if turn and (size + length > self.turn_chars or len(turn) >= self.turn_texts):
                yield turn
                turn, size = [], 0
            turn.append(text)
            size += length
        if turn:
            yield turn


class _TakingTurns(TensionModel):
    """The shared model's pipeline and metadata, with a ``predict`` that takes turns."""

    def __init__(self, shared: SharedModel, cancelled: Callable[[], bool] | None) -> None:
        # Same pipeline, metadata and review band: no copy, no second load.
        super().__init__(shared.model.pipeline, shared.model.metadata, review_band=shared.model.review_band)
        self._shared = shared
        self._cancelled = cancelled

    def predict(self, texts, **options):
        return self._shared.predict(list(texts), cancelled=self._cancelled, **options)
