"""The event catalog: systemic cyber events read from a versioned YAML file.

An accumulation figure is only as good as the catalog behind it, so a file
is validated in one pass and refused with EVERY problem named by key path
(unknown keys, wrong types, ranges, unknown causes or forms, duplicate ids),
the way rating plans are (models/pricing/rating_plan_reader.py).

Layout::

    version: "2026.1"            # must match the file name
    description: ...
    aliases: {other spelling: canonical name}   # optional
    events:
      - id: nimbus_outage        # unique
        family: vendor_outage    # free text, used for the breakdown
        annual_rate: 0.2         # Poisson occurrences a year, > 0
        cause: vendor_outage     # optional, one of CLAIM_CAUSES
        footprint: {vendor: Nimbus Cloud, hit_probability: 1.0}
                 | {device_family: [{field, op, value}, ...], hit_probability: p}
                 | {all_cities: true, hit_probability: p}
        loss: {share_of_limit: s}
            | {ground_up_share_of_annual_budget: {median: m, sigma: s}}

Vendor names match after trimming and case folding (CONTRACT §7); an alias
maps a further spelling to its canonical name before matching.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from models.spec.contract import CLAIM_CAUSES
from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS
from models.versioned_files import load_versioned_yaml

EVENT_CATALOGS_DIR = Path(__file__).resolve().parent / "catalogs"
DEFAULT_EVENT_CATALOG_VERSION = "2026.1"
#: Operators a device-family condition may use, by the kind of field.
CONDITION_OPERATORS: dict[str, tuple[str, ...]] = {
    "int": (">", ">=", "<", "<=", "=="),
    "number": (">", ">=", "<", "<=", "=="),
    "bool": ("==",),
    "category": ("==", "in"),
    "ordinal": ("==", "in"),
}


class EventCatalogError(ValueError):
    """A catalog file that breaks a rule; ``problems`` name key and rule."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source, self.problems = source, problems
        super().__init__(
            f"{source}: invalid event catalog\n" + "\n".join(f"  - {p}" for p in problems)
        )


def vendor_key(name: str) -> str:
    """The matching form of a vendor name: trimmed and case folded (CONTRACT §7)."""
    return name.strip().casefold()


@dataclass(frozen=True)
class FieldCondition:
    """``field op value`` over one exposure field, e.g. internet_exposed_devices > 0."""

    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Footprint:
    """Who an occurrence can hit, and the chance each of them is hit, independently.

    Exactly one of ``vendor`` (canonical name), ``conditions`` (a device
    family) or ``all_cities`` selects the cities.
    """

    hit_probability: float
    vendor: str | None = None
    conditions: tuple[FieldCondition, ...] = ()
    all_cities: bool = False


@dataclass(frozen=True)
class EventLoss:
    """A hit city's ground-up loss: ``share_of_limit`` x limit, or a lognormal
    share of its annual budget (median, sigma) drawn per city and occurrence."""

    share_of_limit: float | None = None
    budget_median: float | None = None
    budget_sigma: float | None = None


@dataclass(frozen=True)
class CatalogEvent:
    """One systemic event of the catalog."""

    id: str
    family: str
    annual_rate: float
    footprint: Footprint
    loss: EventLoss
    cause: str | None = None


@dataclass(frozen=True)
class EventCatalog:
    """A validated catalog: its version, events, and vendor aliases (keys folded)."""

    version: str
    description: str
    events: tuple[CatalogEvent, ...]
    aliases: Mapping[str, str]

    def canonical_vendor(self, name: str) -> str:
        """The folded canonical name of a vendor as a policy spells it."""
        key = vendor_key(name)
        return self.aliases.get(key, key)

    def causes(self) -> frozenset[str]:
        """The claim causes some event of the catalog stands for."""
        return frozenset(e.cause for e in self.events if e.cause is not None)


def read_event_catalog(data: Any, source: str = "event catalog") -> EventCatalog:
    """Validate plain data (a catalog file's layout); raises EventCatalogError."""
    return _CatalogReader(source).read(data)


def load_event_catalog(path: str | Path) -> EventCatalog:
    """Read and validate one catalog YAML file; its version must match its name."""
    return load_versioned_yaml(path, read_event_catalog, EventCatalogError)


@lru_cache(maxsize=8)
def shipped_event_catalog(version: str = DEFAULT_EVENT_CATALOG_VERSION) -> EventCatalog:
    """A catalog shipped in models/accumulation/catalogs/ (cached: immutable)."""
    path = EVENT_CATALOGS_DIR / f"{version}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in EVENT_CATALOGS_DIR.glob("*.yaml"))
        raise EventCatalogError(
            str(path), [f"no event catalog version {version!r}; shipped: {known}"]
        )
    return load_event_catalog(path)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


class _CatalogReader:
    """Walks the raw data once, collecting every problem with its key path."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def unknown(self, raw: Mapping[str, Any], path: str, allowed: tuple[str, ...]) -> None:
        self.problems += [f"{path}.{k}: unknown key" for k in raw if k not in allowed]

    def number(
        self, raw: Mapping[str, Any], path: str, low: float, high: float, *, open_low: bool
    ) -> float:
        key = path.rsplit(".", 1)[-1]
        if key not in raw:
            self.problems.append(f"{path}: required key is missing")
            return math.nan
        value = raw[key]
        if not _is_number(value):
            self.problems.append(f"{path}: must be a number (got {value!r})")
            return math.nan
        if value < low or value > high or (open_low and value == low):
            self.problems.append(
                f"{path}: must be in {'(' if open_low else '['}{low:g}, {high:g}] (got {value!r})"
            )
        return float(value)

    def read(self, data: Any) -> EventCatalog:
        if not isinstance(data, Mapping):
            raise EventCatalogError(self.source, ["the file must hold a mapping"])
        self.problems += [
            f"{k}: unknown key"
            for k in data
            if k not in ("version", "description", "aliases", "events")
        ]
        version = data.get("version")
        if not isinstance(version, str) or not version:
            self.problems.append(f"version: must be a non-empty string (got {version!r})")
        aliases = self.read_aliases(data.get("aliases", {}))
        raw_events = data.get("events")
        events: list[CatalogEvent] = []
        if not isinstance(raw_events, list) or not raw_events:
            self.problems.append("events: must be a non-empty list of events")
            raw_events = []
        seen: set[str] = set()
        for i, raw in enumerate(raw_events):
            eid = raw.get("id") if isinstance(raw, Mapping) else None
            if isinstance(eid, str) and eid in seen:
                self.problems.append(f"events[{i}].id: duplicate id {eid!r}")
            seen.add(str(eid))
            event = self.read_event(raw, f"events[{i}]")
            if event is not None:
                events.append(event)
        if self.problems:
            raise EventCatalogError(self.source, self.problems)
        return EventCatalog(
            str(version), str(data.get("description", "")), tuple(events), MappingProxyType(aliases)
        )

    def read_aliases(self, raw: Any) -> dict[str, str]:
        if not isinstance(raw, Mapping):
            self.problems.append("aliases: must be a mapping of spelling to vendor name")
            return {}
        out: dict[str, str] = {}
        for spelling, name in raw.items():
            if not (isinstance(spelling, str) and isinstance(name, str) and name.strip()):
                self.problems.append(f"aliases.{spelling}: must map a name to a non-empty name")
                continue
            out[vendor_key(spelling)] = vendor_key(name)
        return out

    def read_event(self, raw: Any, path: str) -> CatalogEvent | None:
        keys = ("id", "family", "annual_rate", "footprint", "loss", "cause")
        if not isinstance(raw, Mapping):
            self.problems.append(f"{path}: must be a mapping with {list(keys[:5])}")
            return None
        before = len(self.problems)
        self.unknown(raw, path, keys)
        for key in ("id", "family"):
            if not (isinstance(raw.get(key), str) and raw[key]):
                self.problems.append(
                    f"{path}.{key}: must be a non-empty string (got {raw.get(key)!r})"
                )
        rate = self.number(raw, f"{path}.annual_rate", 0.0, 365.0, open_low=True)
        cause = raw.get("cause")
        if cause is not None and cause not in CLAIM_CAUSES:
            self.problems.append(
                f"{path}.cause: unknown claim cause {cause!r} (causes: {list(CLAIM_CAUSES)})"
            )
        footprint = self.read_footprint(raw.get("footprint"), f"{path}.footprint")
        loss = self.read_loss(raw.get("loss"), f"{path}.loss")
        if len(self.problems) > before or footprint is None or loss is None:
            return None
        return CatalogEvent(str(raw["id"]), str(raw["family"]), rate, footprint, loss, cause)

    def read_footprint(self, raw: Any, path: str) -> Footprint | None:
        forms = ("vendor", "device_family", "all_cities")
        if not isinstance(raw, Mapping):
            self.problems.append(
                f"{path}: must be a mapping with hit_probability and one of {list(forms)}"
            )
            return None
        self.unknown(raw, path, (*forms, "hit_probability"))
        present = [f for f in forms if f in raw]
        if len(present) != 1:
            self.problems.append(
                f"{path}: unknown footprint form; give exactly one of {list(forms)} (got {present})"
            )
        p = self.number(raw, f"{path}.hit_probability", 0.0, 1.0, open_low=True)
        if present == ["vendor"]:
            name = raw["vendor"]
            if isinstance(name, str) and name.strip():
                return Footprint(p, vendor=vendor_key(name))
            self.problems.append(f"{path}.vendor: must be a non-empty vendor name (got {name!r})")
        elif present == ["device_family"]:
            conditions = self.read_conditions(raw["device_family"], f"{path}.device_family")
            if conditions:
                return Footprint(p, conditions=conditions)
        elif present == ["all_cities"]:
            if raw["all_cities"] is True:
                return Footprint(p, all_cities=True)
            self.problems.append(f"{path}.all_cities: must be true (got {raw['all_cities']!r})")
        return None

    def read_conditions(self, raw: Any, path: str) -> tuple[FieldCondition, ...]:
        items = [raw] if isinstance(raw, Mapping) else raw
        if not isinstance(items, list) or not items:
            self.problems.append(f"{path}: must be a condition or a non-empty list of them")
            return ()
        out = [self.read_condition(c, f"{path}[{j}]") for j, c in enumerate(items)]
        return tuple(c for c in out if c is not None) if all(out) else ()

    def read_condition(self, raw: Any, path: str) -> FieldCondition | None:
        if not isinstance(raw, Mapping) or set(raw) != {"field", "op", "value"}:
            self.problems.append(f"{path}: must be a mapping of exactly field, op and value")
            return None
        name, op, value = raw["field"], raw["op"], raw["value"]
        if (
            name not in {f.name for f in MODEL_FIELDS}
            or FIELDS_BY_NAME[name].kind not in CONDITION_OPERATORS
        ):
            self.problems.append(f"{path}.field: unknown or unusable exposure field {name!r}")
            return None
        spec = FIELDS_BY_NAME[name]
        allowed = CONDITION_OPERATORS[spec.kind]
        if op not in allowed:
            self.problems.append(
                f"{path}.op: {op!r} is not allowed for {spec.kind} field {name}; use one of {list(allowed)}"
            )
            return None
        values = value if op == "in" else [value]
        if op == "in" and not (isinstance(value, list) and value):
            self.problems.append(f"{path}.value: 'in' needs a non-empty list of values")
            return None
        for v in values:
            if spec.kind in ("int", "number") and not _is_number(v):
                self.problems.append(f"{path}.value: must be a number for {name} (got {v!r})")
                return None
            if spec.kind == "bool" and not isinstance(v, bool):
                self.problems.append(f"{path}.value: must be true or false for {name}")
                return None
            if spec.kind in ("category", "ordinal") and v not in spec.values:
                self.problems.append(
                    f"{path}.value: {v!r} is not a value of {name}; use one of {list(spec.values)}"
                )
                return None
        return FieldCondition(name, op, tuple(value) if op == "in" else value)

    def read_loss(self, raw: Any, path: str) -> EventLoss | None:
        forms = ("share_of_limit", "ground_up_share_of_annual_budget")
        if not isinstance(raw, Mapping) or len(raw) != 1 or next(iter(raw)) not in forms:
            got = list(raw) if isinstance(raw, Mapping) else raw
            self.problems.append(
                f"{path}: unknown loss form; give exactly one of {list(forms)} (got {got!r})"
            )
            return None
        if "share_of_limit" in raw:
            share = self.number(raw, f"{path}.share_of_limit", 0.0, 1.0, open_low=True)
            return EventLoss(share_of_limit=share)
        inner = raw["ground_up_share_of_annual_budget"]
        inner_path = f"{path}.ground_up_share_of_annual_budget"
        if not isinstance(inner, Mapping):
            self.problems.append(f"{inner_path}: must be a mapping with median and sigma")
            return None
        self.unknown(inner, inner_path, ("median", "sigma"))
        median = self.number(inner, f"{inner_path}.median", 0.0, 10.0, open_low=True)
        sigma = self.number(inner, f"{inner_path}.sigma", 0.0, 5.0, open_low=True)
        return EventLoss(budget_median=median, budget_sigma=sigma)
