"""The synthetic world: spec conformance, monotone truth, determinism, the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.spec.contract import CLAIM_CAUSES
from models.spec.exposure import canonical_set, parse_set
from models.spec.fields import CROSS_FIELD_RULES, FIELDS, MODEL_FIELDS, VENDOR_NAME_MAX_LENGTH
from training.cli import main as cli_main
from training.world.portfolio import Portfolio, generate_portfolio
from training.world.rates import truth_parameters
from training.world.truth import load_truth

N_SMALL = 5_000


@pytest.fixture(scope="module")
def small() -> Portfolio:
    return generate_portfolio(N_SMALL, 1)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The same small portfolio written twice with seed 5 and once with seed 6."""
    root = tmp_path_factory.mktemp("synth")
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        argv = ["synth", "--policies", "2000", "--seed", str(seed), "--out", str(root / name)]
        assert cli_main(argv) == 0
    return {"root": root}


@pytest.mark.parametrize("field", [f.name for f in FIELDS])
def test_every_value_is_inside_the_field_spec(small: Portfolio, field: str) -> None:
    f = next(x for x in FIELDS if x.name == field)
    col = small.policies[field]
    assert col.notna().all()
    if f.is_numeric:
        assert f.minimum is not None and f.maximum is not None
        assert col.between(f.minimum, f.maximum).all()
        if f.kind == "int":
            assert col.dtype.kind == "i"
    elif f.kind in ("ordinal", "category"):
        assert set(col) <= set(f.values)
    elif f.kind == "bool":
        assert col.dtype == bool
    elif f.kind == "set":
        for text in col.unique():  # each set: known members in spec order
            assert text == canonical_set(parse_set(text), field)
            assert set(parse_set(text)) <= set(f.values)
    elif f.kind == "list":
        names = col.map(parse_set)
        assert names.map(len).max() <= (f.maximum or 0)
        assert names.map(lambda xs: all(0 < len(x) <= VENDOR_NAME_MAX_LENGTH for x in xs)).all()


def test_cross_field_rules_hold(small: Portfolio) -> None:
    p = small.policies
    for rule in CROSS_FIELD_RULES:
        assert (p[rule.field] <= p[list(rule.bound_fields)].sum(axis=1)).all(), rule.message


def test_policy_periods_and_claims_follow_the_contract(small: Portfolio) -> None:
    p, c = small.policies, small.claims
    assert p["policy_id"].is_unique and c["claim_id"].is_unique
    assert p["exposure_years"].gt(0).all() and p["exposure_years"].le(1.5).all()
    assert (p["exposure_years"] == 1.0).mean() > 0.8  # most policies are annual
    pd.to_datetime(p["period_start"], format="%Y-%m-%d")  # ISO dates
    assert c["policy_id"].isin(p["policy_id"]).all()
    assert c["loss_usd"].gt(0).all() and set(c["cause"]) <= set(CLAIM_CAUSES)


def test_population_mix_is_mostly_small_towns(small: Portfolio) -> None:
    pop = small.policies["population"]
    assert (pop < 10_000).mean() > 0.8 and (pop >= 100_000).mean() < 0.03


def test_a_few_vendors_dominate(small: Portfolio) -> None:
    names = small.policies["vendors"].map(parse_set).explode().dropna()
    share = names.value_counts() / len(small.policies)
    assert share.iloc[0] > 0.2 and share.iloc[20] < 0.05


def test_security_answers_are_correlated(small: Portfolio) -> None:
    p = small.policies
    mfa = p["mfa_remote"].map({"none": 0, "partial": 1, "all": 2, "phishing_resistant": 3})
    assert np.corrcoef(mfa, p["edr_coverage_pct"])[0, 1] > 0.2


def _moved(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    """``frame`` with ``field`` one step larger (more members, later level, True)."""
    f = next(x for x in MODEL_FIELDS if x.name == field)
    col = frame[field]
    if f.kind == "int":
        new: object = np.minimum(col * 2 + 1, f.maximum)
    elif f.kind == "number":
        new = np.minimum(col + 0.2 * (f.maximum - f.minimum), f.maximum)  # type: ignore[operator]
    elif f.kind == "bool":
        new = True
    elif f.kind == "ordinal":
        levels = list(f.values)
        new = col.map(lambda v: levels[min(levels.index(v) + 1, len(levels) - 1)])
    else:  # a set: add the first member not yet held
        new = col.map(lambda t: canonical_set(
            [*parse_set(t), next((v for v in f.values if v not in parse_set(t)), f.values[0])],
            field))  # fmt: skip
    return frame.assign(**{field: new})


@pytest.mark.parametrize("field", [f.name for f in MODEL_FIELDS if f.direction != 0])
def test_truth_moves_in_the_spec_direction(small: Portfolio, field: str) -> None:
    direction = next(f.direction for f in MODEL_FIELDS if f.name == field)
    before = truth_parameters(small.policies)
    after = truth_parameters(_moved(small.policies, field))
    cols = [f"rate_{c}" for c in CLAIM_CAUSES] + [f"sev_mu_{c}" for c in CLAIM_CAUSES]
    change = direction * (after[cols].to_numpy() - before[cols].to_numpy())
    assert change.min() >= -1e-12, "a cause rate or severity moved against the spec"
    assert change.max() > 1e-6, "the field has no effect on the truth"


def test_no_mfa_with_direct_ot_access_is_a_step_up(small: Portfolio) -> None:
    base = small.policies.head(500).assign(mfa_remote="partial", ot_remote_access="direct")
    step = base.assign(mfa_remote="none")
    ratio = (
        truth_parameters(step)["rate_ot_disruption"] / truth_parameters(base)["rate_ot_disruption"]
    )
    assert np.allclose(ratio, np.exp(0.50))  # the step: OT rate has no other MFA term


def test_exposed_devices_matter_more_on_flat_networks(small: Portfolio) -> None:
    base = small.policies.head(500).assign(internet_exposed_devices=0, ot_device_count=50)
    exposed = base.assign(internet_exposed_devices=20)

    def uplift(segmentation: str) -> np.ndarray:
        a = truth_parameters(exposed.assign(it_ot_segmentation=segmentation))
        b = truth_parameters(base.assign(it_ot_segmentation=segmentation))
        return (a["rate_ot_disruption"] / b["rate_ot_disruption"]).to_numpy()

    assert np.all(uplift("flat") > uplift("zoned"))


def test_same_seed_gives_byte_identical_files(written: dict[str, object]) -> None:
    root = written["root"]
    for name in ("policies.csv", "claims.csv", "truth.csv"):
        a = (root / "a" / name).read_bytes()  # type: ignore[operator]
        assert a == (root / "b" / name).read_bytes()  # type: ignore[operator]
        assert a != (root / "c" / name).read_bytes()  # type: ignore[operator]


def test_truth_file_is_the_world_model_of_the_written_policies(written: dict[str, object]) -> None:
    root = written["root"]
    policies = pd.read_csv(root / "a" / "policies.csv", keep_default_na=False)  # type: ignore[operator]
    truth = load_truth(root / "a" / "truth.csv")  # type: ignore[operator]
    again = truth_parameters(policies)
    assert (truth["policy_id"] == policies["policy_id"]).all()
    assert np.allclose(truth.iloc[:, 1:].to_numpy(), again.iloc[:, 1:].to_numpy(), rtol=1e-12)


def test_written_files_pass_the_validator(written: dict[str, object]) -> None:
    root = written["root"]
    argv = ["validate", "--policies", str(root / "a" / "policies.csv"),  # type: ignore[operator]
            "--claims", str(root / "a" / "claims.csv")]  # type: ignore[operator]  # fmt: skip
    assert cli_main(argv) == 0


@pytest.mark.parametrize("argv", [["--policies", "0"], ["--policies", "5", "--seed", "-1"]])
def test_bad_arguments_exit_1_with_a_message(tmp_path, capsys, argv: list[str]) -> None:
    assert cli_main(["synth", *argv, "--out", str(tmp_path / "x")]) == 1
    assert "error:" in capsys.readouterr().err


def test_truth_rejects_values_outside_the_spec(small: Portfolio) -> None:
    with pytest.raises(ValueError, match="privacy_regime"):
        truth_parameters(small.policies.head(3).assign(privacy_regime="hipaa"))
    with pytest.raises(ValueError, match="mfa_remote"):
        truth_parameters(small.policies.head(3).assign(mfa_remote="sometimes"))
