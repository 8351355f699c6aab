"""Common random numbers: every draw is a pure function of its names.

Marginal figures (the book with a city minus the book without it, CONTRACT
§7 ``portfolio_impact``) are only meaningful when both books see the same
simulated years, so no draw may depend on the order or the size of a book.

* An event's occurrences (a Poisson count per year) come from a numpy
  SeedSequence built from (seed, event id) alone, so every book on the same
  seed and catalog sees the same occurrences in the same years.
* Whether occurrence k of event e hits policy i (and how large a drawn loss
  is) comes from a counter-based hash, not a sequential stream:
  ``u = splitmix64(splitmix64(key_e ^ key_i) + (k + 1) * gamma)``, with
  ``key_e`` from the event's SeedSequence and ``key_i`` a BLAKE2b hash of
  the policy id. A sequential generator would hand city i the draws that
  city i - 1 used once a city is added in front of it; the hash gives each
  (event, occurrence, policy) triple its own uniform, so adding a city
  leaves every other city's draws unchanged, and it is vectorised: one
  numpy pass over a (cities x occurrences) block.
* A policy's attritional draws use a SeedSequence of (seed, tag, policy key).

splitmix64 is Steele, Lea & Flood's (2014) generator: a Weyl sequence
(step gamma = 0x9E3779B97F4A7C15) through a 64-bit finaliser that passes
BigCrush; the top 53 bits make a double in [0, 1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

UInt64Array = npt.NDArray[np.uint64]
FloatArray = npt.NDArray[np.float64]

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_LOSS_STREAM = np.uint64(0xD1B54A32D192ED03)  # second draw per hit: the loss size
_ATTRITIONAL_TAG = 0x617474726974  # "attrit"
_TO_UNIT = 2.0**-53


def _name_words(name: str) -> list[int]:
    """Four 32-bit words of a BLAKE2b hash: a name as SeedSequence entropy."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


def policy_keys(policy_ids: Sequence[str]) -> UInt64Array:
    """A 64-bit key per policy id (BLAKE2b), independent of the book's order."""
    return np.array(
        [
            int.from_bytes(hashlib.blake2b(p.encode("utf-8"), digest_size=8).digest(), "little")
            for p in policy_ids
        ],
        dtype=np.uint64,
    )


def event_streams(seed: int, event_id: str) -> tuple[np.random.Generator, np.uint64]:
    """The event's occurrence generator and its hash key, from (seed, event id) only."""
    sequence = np.random.SeedSequence([seed, *_name_words(event_id)])
    occurrence_seed, hash_seed = sequence.spawn(2)
    key = hash_seed.generate_state(1, dtype=np.uint64)[0]
    return np.random.default_rng(occurrence_seed), key


def attritional_rng(seed: int, policy_key: np.uint64) -> np.random.Generator:
    """A policy's own generator for its attritional years (same for any book)."""
    key = int(policy_key)
    return np.random.default_rng([seed, _ATTRITIONAL_TAG, key & 0xFFFFFFFF, key >> 32])


def _mix(z: UInt64Array) -> UInt64Array:
    """splitmix64's finaliser (uint64 arithmetic wraps modulo 2^64 by design)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def city_streams(event_key: np.uint64, keys: UInt64Array) -> UInt64Array:
    """Each policy's starting state for one event (its own Weyl sequence)."""
    return _mix(keys ^ event_key)


def hit_hashes(streams: UInt64Array, occurrences: npt.NDArray[np.int64]) -> UInt64Array:
    """64-bit draws of shape (cities, occurrences) for occurrence numbers ``occurrences``."""
    steps = (occurrences.astype(np.uint64) + np.uint64(1)) * _GAMMA
    return _mix(streams[:, None] + steps[None, :])


def to_unit(hashes: UInt64Array) -> FloatArray:
    """Uniforms in [0, 1) from the top 53 bits."""
    return (hashes >> np.uint64(11)).astype(np.float64) * _TO_UNIT


def loss_unit(hashes: UInt64Array) -> FloatArray:
    """A second uniform per draw, in (0, 1), for the size of a drawn loss."""
    return (to_unit(_mix(hashes ^ _LOSS_STREAM)) + 0.5 * _TO_UNIT).clip(max=1.0 - _TO_UNIT)
