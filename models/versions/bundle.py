"""A model bundle: one immutable version directory with everything to score.

Files (all listed with their SHA-256 in ``MANIFEST.sha256``):

- ``frequency_<cause>.ubj`` (one a claim cause) and ``severity.ubj``: the
  boosters in XGBoost's UBJSON format;
- ``metadata.json``: field spec hash, library versions, data hash, seed,
  hyperparameters, the offset convention (models/scoring/frequency.py), balance
  corrections, metrics and reference portfolio statistics
  (models/versions/metadata.py: ``BundleMetadata``);
- ``reference_exposures.csv``: a seeded sample of training exposures;
- ``model_card.md`` and ``report.html``: for people.

Loading refuses a bundle with a missing or altered file, a metadata.json of
another format, or one trained on another field spec; it warns when library
versions differ.
"""

from __future__ import annotations

import hashlib
import json
import platform
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from models.pricing.cause_losses import CauseLosses, SeverityTails
from models.scoring.features import build_features
from models.scoring.frequency import FrequencyModel, SignedStart
from models.scoring.glm_inputs import GlmInputs
from models.scoring.loss_model import LossModel
from models.scoring.severity import SIZE_FEATURES, START_COLUMNS, SeverityModel, SeverityStart
from models.spec.contract import CLAIM_CAUSES
from models.spec.fields import MODEL_FIELDS, spec_hash
from models.versions.metadata import FORMAT_VERSION, BundleMetadata, MetadataError

SEVERITY_FILE = "severity.ubj"
METADATA_FILE = "metadata.json"
REFERENCE_FILE = "reference_exposures.csv"
MODEL_CARD_FILE = "model_card.md"
REPORT_FILE = "report.html"
MANIFEST_FILE = "MANIFEST.sha256"


def frequency_file(cause: str) -> str:
    """The file of one cause's frequency booster."""
    return f"frequency_{cause}.ubj"


FREQUENCY_FILES = tuple(frequency_file(c) for c in CLAIM_CAUSES)
REQUIRED_FILES = (
    *FREQUENCY_FILES,
    SEVERITY_FILE,
    METADATA_FILE,
    REFERENCE_FILE,
    MODEL_CARD_FILE,
    REPORT_FILE,
)


class BundleError(Exception):
    """A bundle that must not be used: missing, altered or for another spec."""


class BundleVersionWarning(UserWarning):
    """The bundle was written with other library versions than those loaded."""


def library_versions() -> dict[str, str]:
    """Versions that can change what a saved booster predicts."""
    import sklearn

    return {
        "python": platform.python_version(),
        "xgboost": xgb.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
    }


def sha256_bytes(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file, read in 1 MiB chunks (a bordereau may be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def core_files(
    model: LossModel, metadata: BundleMetadata, reference_exposures: pd.DataFrame
) -> dict[str, bytes]:
    """The bytes of every file that determines predictions (hashed into the version)."""
    names = [f.name for f in MODEL_FIELDS]
    return {
        **{
            name: bytes(booster.save_raw("ubj"))
            for name, booster in zip(FREQUENCY_FILES, model.frequency.boosters, strict=True)
        },
        SEVERITY_FILE: bytes(model.severity.booster.save_raw("ubj")),
        METADATA_FILE: metadata.to_json().encode(),
        REFERENCE_FILE: reference_exposures[names].to_csv(index=False).encode(),
    }


def content_hash(files: Mapping[str, bytes]) -> str:
    """SHA-256 over the names and bytes of ``files``, in name order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + sha256_bytes(files[name]).encode() + b"\n")
    return digest.hexdigest()


def write_bundle_files(directory: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` and the manifest of all of them into ``directory``."""
    missing = set(REQUIRED_FILES) - set(files)
    if missing:
        raise BundleError(f"refusing to write an incomplete bundle: missing {sorted(missing)}")
    lines = []
    for name in sorted(files):
        (directory / name).write_bytes(files[name])
        lines.append(f"{sha256_bytes(files[name])}  {name}\n")
    (directory / MANIFEST_FILE).write_text("".join(lines))


def _refuse_other_format(directory: Path) -> None:
    """A bundle of another format is named as such, before its file list is checked.

    A format-1 bundle lacks this format's files, and "frequency_ransomware.ubj
    is not in MANIFEST.sha256" would hide the reason and the remedy. Only the
    format number is read here; the file is verified and read in full after.
    """
    try:
        found = json.loads((directory / METADATA_FILE).read_bytes()).get("format")
    except (OSError, ValueError, AttributeError):
        return  # missing or unreadable: _verify names it
    if found != FORMAT_VERSION:
        raise BundleError(
            f"bundle {directory.name}: {METADATA_FILE} has format {found!r}; this code reads "
            f"format {FORMAT_VERSION} (per-cause models, a severity start with a large-estate "
            "slope): retrain the bundle with "
            "`python -m training train`"
        )


def _verify(directory: Path) -> None:
    manifest_path = directory / MANIFEST_FILE
    if not manifest_path.is_file():
        raise BundleError(f"bundle {directory}: {MANIFEST_FILE} is missing")
    listed: dict[str, str] = {}
    for line in manifest_path.read_text().splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    for name in REQUIRED_FILES:
        if name not in listed:
            raise BundleError(f"bundle {directory}: {name} is not in {MANIFEST_FILE}")
    for name, digest in listed.items():
        path = directory / name
        if not path.is_file():
            raise BundleError(f"bundle {directory}: {name} is missing")
        if sha256_bytes(path.read_bytes()) != digest:
            raise BundleError(f"bundle {directory}: {name} fails its SHA-256 check")
    extra = {p.name for p in directory.iterdir()} - set(listed) - {MANIFEST_FILE}
    if extra:
        raise BundleError(f"bundle {directory}: files not in the manifest: {sorted(extra)}")


def _read_reference(path: Path) -> pd.DataFrame:
    text_fields = {f.name: str for f in MODEL_FIELDS if f.kind in ("set", "ordinal", "category")}
    # keep_default_na=False: an empty set is the empty string, not a missing value
    return pd.read_csv(path, dtype=text_fields, keep_default_na=False)  # type: ignore[arg-type]


def _read_metadata(directory: Path) -> BundleMetadata:
    try:
        metadata = BundleMetadata.from_json((directory / METADATA_FILE).read_bytes())
    except MetadataError as exc:
        raise BundleError(f"bundle {directory.name}: {METADATA_FILE} {exc}") from exc
    if metadata.spec_hash != spec_hash():
        raise BundleError(
            f"bundle {directory.name} was trained on another field spec "
            f"(spec hash {metadata.spec_hash[:12]}, this code "
            f"{spec_hash()[:12]}); retrain it with `python -m training train`"
        )
    saved = metadata.libraries
    differing = {k: (saved.get(k), v) for k, v in library_versions().items() if saved.get(k) != v}
    if differing:
        warnings.warn(
            f"bundle {directory.name} was written with other library versions "
            f"(saved, loaded): {differing}",
            BundleVersionWarning,
            stacklevel=3,
        )
    return metadata


def _booster(path: Path, threads: int) -> xgb.Booster:
    booster = xgb.Booster(model_file=str(path))
    booster.set_param({"nthread": threads})
    return booster


def _by_cause(values: Mapping[str, Any]) -> np.ndarray:
    return np.array([values[c] for c in CLAIM_CAUSES], dtype=np.float64)


def _loss_model(directory: Path, meta: BundleMetadata, threads: int) -> LossModel:
    """The boosters with the numbers metadata.json keeps beside them."""
    freq, sev = meta.frequency, meta.severity
    inputs = GlmInputs(
        np.asarray(freq.inputs_log_columns, dtype=bool),
        np.asarray(freq.inputs_mean, dtype=np.float64),
        np.asarray(freq.inputs_scale, dtype=np.float64),
    )
    start = SignedStart(
        inputs,
        _by_cause(freq.start_intercept),
        np.array([freq.start_coef[c] for c in CLAIM_CAUSES], dtype=np.float64),
        _by_cause(freq.start_penalty),
    )
    frequency = FrequencyModel(
        start,
        tuple(_booster(directory / name, threads) for name in FREQUENCY_FILES),
        tuple(int(freq.best_iteration[c]) for c in CLAIM_CAUSES),
        _by_cause(freq.balance_factor),
    )
    tails = SeverityTails(
        np.array([sev.tails[c].z_u for c in CLAIM_CAUSES]),
        np.array([sev.tails[c].xi for c in CLAIM_CAUSES]),
        np.array([sev.tails[c].b for c in CLAIM_CAUSES]),
    )
    if tuple(sev.start_features) != SIZE_FEATURES:
        raise BundleError(
            f"bundle {directory.name}: the severity start is on {list(sev.start_features)}; "
            f"this code computes it on {list(SIZE_FEATURES)}: retrain the bundle"
        )
    widths = {len(sev.start_center), *(len(row) for row in sev.start_slope.values())}
    if widths != {len(START_COLUMNS)}:
        raise BundleError(
            f"bundle {directory.name}: the severity start has {sorted(widths)} columns; "
            f"this code computes {len(START_COLUMNS)} ({list(START_COLUMNS)}): retrain the bundle"
        )
    severity = SeverityModel(
        _booster(directory / SEVERITY_FILE, threads),
        _by_cause(sev.sigma),
        _by_cause(sev.mu_shift),
        tails,
        sev.best_iteration,
        SeverityStart(
            np.asarray(sev.start_center, dtype=np.float64),
            _by_cause(sev.start_level),
            np.array([sev.start_slope[c] for c in CLAIM_CAUSES], dtype=np.float64),
            float(sev.start_penalty),
            float(sev.start_knot),
        ),
    )
    return LossModel(frequency, severity)


@dataclass(frozen=True)
class ModelBundle:
    """A loaded, verified bundle version; immutable."""

    version: str
    path: Path
    model: LossModel
    meta: BundleMetadata
    reference_exposures: pd.DataFrame

    def __repr__(self) -> str:
        # the metadata holds every start coefficient and the reference portfolio: not a repr
        return f"ModelBundle(version={self.version!r}, path={str(self.path)!r})"

    @property
    def frequency(self) -> FrequencyModel:
        return self.model.frequency

    @property
    def severity(self) -> SeverityModel:
        return self.model.severity

    @property
    def metadata(self) -> dict[str, Any]:
        """metadata.json as a plain JSON object (``meta`` is the typed form)."""
        return self.meta.to_dict()

    @classmethod
    def load(cls, directory: Path, nthread: int | None = None) -> ModelBundle:
        """Verify and load the bundle in ``directory`` (its name is the version)."""
        directory = Path(directory)
        if not directory.is_dir():
            raise BundleError(f"no model bundle at {directory}")
        _refuse_other_format(directory)
        _verify(directory)
        meta = _read_metadata(directory)
        threads = int(nthread or meta.hyperparameters.nthread)
        model = _loss_model(directory, meta, threads)
        reference = _read_reference(directory / REFERENCE_FILE)
        return cls(directory.name, directory, model, meta, reference)

    def predict_losses(self, features_or_frame: np.ndarray | pd.DataFrame) -> CauseLosses:
        """Each city's claim rate and spliced severity by cause, from features or exposures."""
        if isinstance(features_or_frame, pd.DataFrame):
            return self.model.predict(build_features(features_or_frame))
        return self.model.predict(features_or_frame)

    def risk_score(
        self, expected_annual_loss_usd: np.ndarray, annual_revenue_usd: np.ndarray
    ) -> np.ndarray:
        """Risk score 0-100: percentile of the loss cost in the training portfolio.

        Loss cost is expected annual ground-up loss per USD of annual budget
        (``RiskScoreScale``, stored in the reference portfolio statistics).
        """
        return self.meta.reference.risk_score_scale.score(
            expected_annual_loss_usd, annual_revenue_usd
        )
