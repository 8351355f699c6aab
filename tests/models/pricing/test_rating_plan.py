"""Rating plan files: the shipped plan loads, and every broken rule names its key."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.pricing.decision import Condition
from models.pricing.rating_plan import RatingPlanError
from models.pricing.rating_plan_reader import (
    DEFAULT_RATING_PLAN_VERSION,
    RATING_PLANS_DIR,
    load_rating_plan,
    read_rating_plan,
    shipped_rating_plan,
)
from models.spec.contract import CLAIM_CAUSES, COVERAGE_PARTS


@pytest.fixture
def raw_plan() -> dict[str, Any]:
    """The shipped plan file as plain data, for tests to break one rule at a time."""
    path = RATING_PLANS_DIR / f"{DEFAULT_RATING_PLAN_VERSION}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _problems(data: Any) -> list[str]:
    with pytest.raises(RatingPlanError) as info:
        read_rating_plan(data, source="test.yaml")
    assert "test.yaml" in str(info.value)
    return info.value.problems


def test_shipped_plan_loads_and_round_trips() -> None:
    plan = shipped_rating_plan()
    assert plan.version == DEFAULT_RATING_PLAN_VERSION == "2026.2"
    assert plan.effective_from == "2026-12-01"
    assert list(plan.cause_coverage_shares) == list(CLAIM_CAUSES)
    for cause, shares in plan.cause_coverage_shares.items():
        assert list(shares) == list(COVERAGE_PARTS), cause  # absent parts read as 0
        assert math.fsum(shares.values()) == pytest.approx(1.0, abs=1e-12), cause
        assert min(shares.values()) >= 0
    data = plan.to_dict()
    json.dumps(data)  # stored with each quote: must be plain JSON
    assert "coverages" not in data
    assert data["cause_coverages"]["vendor_outage"] == {
        "dependent_business_interruption": 0.8,
        "data_restoration": 0.1,
        "breach_response": 0.1,
    }  # the file's layout: parts a cause never reaches are left out
    again = read_rating_plan(data)
    assert again == plan
    assert again.content_sha256() == plan.content_sha256()


def test_every_part_is_reached_by_some_cause() -> None:
    """A part no cause's loss falls in could be sold but never pay: the plan has none."""
    shares = shipped_rating_plan().cause_coverage_shares
    for part in COVERAGE_PARTS:
        assert any(shares[c][part] > 0 for c in CLAIM_CAUSES), part


def test_every_shipped_plan_is_valid_and_named_by_its_version() -> None:
    files = sorted(RATING_PLANS_DIR.glob("*.yaml"))
    assert files
    for path in files:
        assert load_rating_plan(path).version == path.stem


def test_fines_caps_follow_the_law() -> None:
    """GDPR Art. 83(5) and PIPL Art. 66 take the higher of the two amounts."""
    caps = shipped_rating_plan().fines_caps
    assert caps["gdpr"].cap_usd(100e6) == pytest.approx(21.6e6)
    assert caps["gdpr"].cap_usd(1e9) == pytest.approx(0.04 * 1e9)
    assert caps["pipl"].cap_usd(1e9) == pytest.approx(0.05 * 1e9)
    assert caps["lgpd"].cap_usd(1e9) == pytest.approx(9e6)  # 2% limited to BRL 50M
    assert "ccpa" not in caps and "other" not in caps


def test_missing_key_is_named(raw_plan: dict[str, Any]) -> None:
    del raw_plan["loads"]["expense_ratio"]
    assert "loads.expense_ratio: required key is missing" in _problems(raw_plan)


def test_missing_section_is_named(raw_plan: dict[str, Any]) -> None:
    del raw_plan["decision"]
    assert any(p.startswith("decision:") for p in _problems(raw_plan))


def test_shares_not_summing_to_one_are_named(raw_plan: dict[str, Any]) -> None:
    raw_plan["cause_coverages"]["data_breach"]["media_liability"] = 0.13
    problems = _problems(raw_plan)
    assert any(p.startswith("cause_coverages.data_breach:") and "sum to 1" in p for p in problems)


@pytest.mark.parametrize(("off", "rejected"), [(1e-8, True), (1e-10, False)])
def test_shares_sum_to_one_within_1e_9(
    raw_plan: dict[str, Any], off: float, rejected: bool
) -> None:
    raw_plan["cause_coverages"]["other"]["media_liability"] += off
    if rejected:
        assert any("cause_coverages.other: shares must sum to 1" in p for p in _problems(raw_plan))
    else:
        read_rating_plan(raw_plan)


def test_missing_cause_is_named(raw_plan: dict[str, Any]) -> None:
    del raw_plan["cause_coverages"]["ransomware"]
    assert "cause_coverages.ransomware: required mapping is missing" in _problems(raw_plan)


def test_unknown_cause_and_part_are_named(raw_plan: dict[str, Any]) -> None:
    raw_plan["cause_coverages"]["cyber_war"] = {"breach_response": 1.0}
    raw_plan["cause_coverages"]["ransomware"]["crime"] = 0.0
    problems = _problems(raw_plan)
    assert any(p.startswith("cause_coverages.cyber_war: unknown claim cause") for p in problems)
    assert any(
        p.startswith("cause_coverages.ransomware.crime: unknown coverage part") for p in problems
    )


def test_negative_share_is_named(raw_plan: dict[str, Any]) -> None:
    raw_plan["cause_coverages"]["ransomware"]["cyber_extortion"] = -0.1
    raw_plan["cause_coverages"]["ransomware"]["business_interruption"] += 0.36  # still sums to 1
    problems = _problems(raw_plan)
    assert "cause_coverages.ransomware.cyber_extortion: must be in [0, 1] (got -0.1)" in problems
    assert not any("sum to 1" in p for p in problems)


@pytest.mark.parametrize("entry", [{}, [0.5, 0.5], "breach_response"])
def test_a_cause_that_is_not_a_share_table_is_named(raw_plan: dict[str, Any], entry: Any) -> None:
    raw_plan["cause_coverages"]["vendor_outage"] = entry
    assert any(
        p.startswith("cause_coverages.vendor_outage: must be a non-empty mapping")
        for p in _problems(raw_plan)
    )


def test_text_where_a_share_belongs_is_named(raw_plan: dict[str, Any]) -> None:
    raw_plan["cause_coverages"]["data_breach"]["regulatory_fines"] = "14%"
    assert any(
        p.startswith("cause_coverages.data_breach.regulatory_fines: must be a number")
        for p in _problems(raw_plan)
    )


def test_the_old_global_share_table_is_named(raw_plan: dict[str, Any]) -> None:
    """A 2026.1-style file: the missing section and the replaced one, both by key."""
    raw_plan["coverages"] = {"breach_response": 1.0}
    del raw_plan["cause_coverages"]
    problems = _problems(raw_plan)
    assert "cause_coverages: required mapping is missing" in problems
    assert any(p.startswith("coverages: replaced by cause_coverages") for p in problems)


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("loads", "profit_margin", -0.05),
        ("loads", "expense_ratio", 1.0),
        ("loads", "minimum_premium_usd", -1),
        ("risk_load", "share", -0.1),
        ("risk_load", "probability", 1.0),
        ("decision", "max_rate_on_line", 0.0),
    ],
)
def test_out_of_range_loads_are_named(
    raw_plan: dict[str, Any], section: str, key: str, value: float
) -> None:
    raw_plan[section][key] = value
    problems = _problems(raw_plan)
    assert any(p.startswith(f"{section}.{key}: must be in") for p in problems), problems


def test_missing_rate_on_line_appetite_is_named(raw_plan: dict[str, Any]) -> None:
    del raw_plan["decision"]["max_rate_on_line"]
    assert "decision.max_rate_on_line: required key is missing" in _problems(raw_plan)


def test_text_where_a_number_belongs_is_named(raw_plan: dict[str, Any]) -> None:
    raw_plan["loads"]["profit_margin"] = "5%"
    assert any(p.startswith("loads.profit_margin: must be a number") for p in _problems(raw_plan))


def test_unknown_field_in_a_hazard_rule_is_named(raw_plan: dict[str, Any]) -> None:
    raw_plan["decision"]["hazards"][0]["when"][0]["field"] = "internet_exposed_device"
    problems = _problems(raw_plan)
    assert any(
        p.startswith(
            "decision.hazards[0].when[0].field: unknown exposure field 'internet_exposed_device'"
        )
        for p in problems
    ), problems


@pytest.mark.parametrize(
    ("condition", "fragment"),
    [
        (
            {"field": "mfa_remote", "op": "==", "value": "sometimes"},
            "when[0].value: 'sometimes' is not a value",
        ),
        (
            {"field": "sensitive_data", "op": ">", "value": "health"},
            "when[0].op: '>' is not allowed",
        ),
        ({"field": "pii_records", "op": ">", "value": "many"}, "when[0].value: must be a number"),
        ({"field": "pii_records", "op": ">", "value": -5}, "when[0].value: -5 is outside"),
        (
            {"field": "monitoring_24x7", "op": "==", "value": "no"},
            "when[0].value: must be true or false",
        ),
        ({"field": "vendors", "op": "==", "value": "x"}, "when[0].field: unknown exposure field"),
        ({"field": "mfa_remote", "op": "=="}, "when[0].value: required key is missing"),
    ],
)
def test_bad_hazard_conditions_are_named(
    raw_plan: dict[str, Any], condition: dict[str, Any], fragment: str
) -> None:
    raw_plan["decision"]["hazards"][1]["when"] = [condition]
    problems = _problems(raw_plan)
    assert any(p.startswith("decision.hazards[1].") and fragment in p for p in problems), problems


def test_bad_hazard_action_and_duplicate_code_are_named(raw_plan: dict[str, Any]) -> None:
    raw_plan["decision"]["hazards"][0]["action"] = "reject"
    raw_plan["decision"]["hazards"].append(copy.deepcopy(raw_plan["decision"]["hazards"][1]))
    problems = _problems(raw_plan)
    assert any(p.startswith("decision.hazards[0].action") for p in problems)
    assert any("duplicate code" in p for p in problems)


def test_every_problem_is_listed_at_once(raw_plan: dict[str, Any]) -> None:
    raw_plan["loads"]["profit_margin"] = -1
    raw_plan["cause_coverages"]["ransomware"]["breach_response"] = 0.5
    raw_plan["decision"]["refer_score"] = 100
    raw_plan["decision"]["decline_score"] = 50
    raw_plan["surprise"] = 1
    problems = _problems(raw_plan)
    assert len(problems) >= 4
    assert "surprise: unknown key" in problems


def test_version_must_match_the_file_name(tmp_path: Path, raw_plan: dict[str, Any]) -> None:
    path = tmp_path / "2030.9.yaml"
    path.write_text(yaml.safe_dump(raw_plan), encoding="utf-8")
    with pytest.raises(RatingPlanError, match="must match the file name"):
        load_rating_plan(path)


def test_unreadable_yaml_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("loads: [unclosed\n", encoding="utf-8")
    with pytest.raises(RatingPlanError, match=r"broken\.yaml"):
        load_rating_plan(path)


def test_unknown_version_lists_the_shipped_ones() -> None:
    with pytest.raises(RatingPlanError, match=DEFAULT_RATING_PLAN_VERSION):
        shipped_rating_plan("1999.1")


def test_ordinal_conditions_compare_by_level() -> None:
    weak = Condition("backup_isolation", "<=", "online")
    assert weak.holds({"backup_isolation": "none"})
    assert weak.holds({"backup_isolation": "online"})
    assert not weak.holds({"backup_isolation": "offline_or_immutable"})
    assert not weak.holds({})  # a field left unanswered never triggers a hazard
    assert Condition("sensitive_data", "contains", "health").holds({"sensitive_data": ["health"]})


def test_shipped_plan_cannot_be_changed_by_a_caller() -> None:
    plan = shipped_rating_plan()
    with pytest.raises(TypeError):
        plan.cause_coverage_shares["ransomware"]["media_liability"] = 0.5  # type: ignore[index]
    with pytest.raises(TypeError):
        plan.cause_coverage_shares["cyber_war"] = {}  # type: ignore[index]
    assert Condition("sensitive_data", "contains", "minors").holds(
        {"sensitive_data": "health|minors"}
    )


def test_the_cost_of_capital_is_optional_off_by_default_and_bounded(
    raw_plan: dict[str, Any],
) -> None:
    shipped = shipped_rating_plan()
    assert shipped.loads.cost_of_capital == 0.0
    assert "cost_of_capital" not in shipped.to_dict()["loads"]  # hash as before it existed
    with_capital = copy.deepcopy(raw_plan)
    with_capital["loads"]["cost_of_capital"] = 0.06
    plan = read_rating_plan(with_capital)
    assert plan.loads.cost_of_capital == 0.06
    assert read_rating_plan(plan.to_dict()) == plan
    assert plan.content_sha256() != shipped.content_sha256()
    for bad in (-0.01, 1.0, "6%", True):
        broken = copy.deepcopy(raw_plan)
        broken["loads"]["cost_of_capital"] = bad
        assert any(p.startswith("loads.cost_of_capital") for p in _problems(broken)), bad
