"""Progress of a long command on stderr: each stage as it starts, then its time.

The accumulation engine exposes no hook inside a simulation, so a run
reports per stage ("simulating 50,000 years ... 3.1 s"): enough for an
operator to see which stage a long run is in and how long each took.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class StageClock:
    """Prints ``[verb] stage ...`` when a stage starts and ``[verb] stage: 1.23 s`` when it ends."""

    def __init__(self, verb: str, stream: TextIO | None = None) -> None:
        self.verb = verb
        self.stream = stream if stream is not None else sys.stderr

    def say(self, message: str) -> None:
        print(f"[{self.verb}] {message}", file=self.stream, flush=True)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.say(f"{name} ...")
        start = time.perf_counter()
        yield
        self.say(f"{name}: {time.perf_counter() - start:.2f} s")
