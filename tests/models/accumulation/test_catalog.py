"""Event catalog validation: every rule is named by key, all problems at once."""

import copy

import pytest

from models.accumulation.catalog import (
    EventCatalogError,
    load_event_catalog,
    read_event_catalog,
    shipped_event_catalog,
)

GOOD = {
    "version": "t",
    "events": [
        {
            "id": "a",
            "family": "vendor_outage",
            "annual_rate": 0.1,
            "cause": "vendor_outage",
            "footprint": {"vendor": "Nimbus Cloud", "hit_probability": 0.5},
            "loss": {"share_of_limit": 0.1},
        },
        {
            "id": "b",
            "family": "mass_exploitation",
            "annual_rate": 0.2,
            "footprint": {
                "device_family": [
                    {"field": "internet_exposed_devices", "op": ">", "value": 0},
                    {"field": "backup_isolation", "op": "in", "value": ["none"]},
                ],
                "hit_probability": 0.1,
            },
            "loss": {"ground_up_share_of_annual_budget": {"median": 0.01, "sigma": 1.0}},
        },
    ],
}


def problems(mutate) -> list[str]:
    data = copy.deepcopy(GOOD)
    mutate(data)
    with pytest.raises(EventCatalogError) as info:
        read_event_catalog(data, "x")
    return info.value.problems


def test_good_catalog_reads():
    catalog = read_event_catalog(GOOD)
    assert [e.id for e in catalog.events] == ["a", "b"]
    assert catalog.events[0].footprint.vendor == "nimbus cloud"
    assert catalog.causes() == frozenset({"vendor_outage"})


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(extra=1), "extra: unknown key"),
        (lambda d: d["events"][0].update(colour="red"), "events[0].colour: unknown key"),
        (lambda d: d["events"][0].update(annual_rate="often"), "events[0].annual_rate: must be a number"),
        (lambda d: d["events"][0].update(annual_rate=0), "events[0].annual_rate: must be in (0"),
        (lambda d: d["events"][0].update(cause="meteor"), "events[0].cause: unknown claim cause"),
        (lambda d: d["events"][1].update(id="a"), "events[1].id: duplicate id 'a'"),
        (lambda d: d["events"][0].update(id=""), "events[0].id: must be a non-empty string"),
        (lambda d: d["events"][0]["footprint"].update(hit_probability=1.5),
         "events[0].footprint.hit_probability: must be in (0, 1]"),
        (lambda d: d["events"][0].update(footprint={"region": "x", "hit_probability": 1}),
         "events[0].footprint: unknown footprint form"),
        (lambda d: d["events"][0].update(loss={"share_of_budget": 0.1}),
         "events[0].loss: unknown loss form"),
        (lambda d: d["events"][0]["loss"].update(share_of_limit=2),
         "events[0].loss.share_of_limit: must be in (0, 1]"),
        (lambda d: d["events"][1]["loss"]["ground_up_share_of_annual_budget"].update(sigma=-1),
         "events[1].loss.ground_up_share_of_annual_budget.sigma: must be in (0"),
        (lambda d: d["events"][1]["footprint"]["device_family"][0].update(field="nope"),
         "events[1].footprint.device_family[0].field: unknown or unusable exposure field"),
        (lambda d: d["events"][1]["footprint"]["device_family"][0].update(op="in"),
         "events[1].footprint.device_family[0].op: 'in' is not allowed"),
        (lambda d: d["events"][1]["footprint"]["device_family"][1].update(value=["sometimes"]),
         "events[1].footprint.device_family[1].value: 'sometimes' is not a value"),
        (lambda d: d.update(events=[]), "events: must be a non-empty list"),
        (lambda d: d.update(aliases=["x"]), "aliases: must be a mapping"),
    ],
)  # fmt: skip
def test_each_rule_is_named(mutate, expected):
    assert any(p.startswith(expected) for p in problems(mutate)), problems(mutate)


def test_every_problem_is_reported_at_once():
    def break_many(d):
        d["events"][0].update(annual_rate=-1, cause="meteor")
        d["events"][1].update(id="a", family="")

    found = problems(break_many)
    assert len(found) == 4, found


def test_version_must_match_file_name(tmp_path):
    path = tmp_path / "2030.1.yaml"
    path.write_text("version: '2030.2'\nevents: []\n", encoding="utf-8")
    with pytest.raises(EventCatalogError, match="events: must be a non-empty list"):
        load_event_catalog(path)


def test_shipped_catalog_has_every_family_and_aliases():
    catalog = shipped_event_catalog()
    assert catalog.version == "2026.1"
    families = {e.family for e in catalog.events}
    assert families == {
        "vendor_outage", "vendor_compromise", "mass_exploitation",
        "contagious_malware", "regional_infrastructure",
    }  # fmt: skip
    assert catalog.canonical_vendor("  NIMBUS ") == "nimbus cloud"
    assert catalog.canonical_vendor("CivicERP ") == "civicerp"


def test_unknown_shipped_version_is_named():
    with pytest.raises(EventCatalogError, match=r"no event catalog version '1999\.1'"):
        shipped_event_catalog("1999.1")
