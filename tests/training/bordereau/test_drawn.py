"""The drawn bordereaux of tests/support/bordereau.py are valid by an independent spec reading."""

from __future__ import annotations

from models.spec.fields import MODEL_FIELDS, SET_SEPARATOR
from models.spec.schemas import ExposureSchema
from tests.support.bordereau import valid_policies


def test_drawn_policies_pass_the_api_schema() -> None:
    frame = valid_policies(200, seed=1)
    schema = ExposureSchema()
    for row in frame.to_dict(orient="records"):
        record = {f.name: row[f.name] for f in MODEL_FIELDS}
        for f in MODEL_FIELDS:
            if f.kind == "set":
                record[f.name] = [m for m in str(row[f.name]).split(SET_SEPARATOR) if m]
            elif f.kind in ("int", "number"):
                record[f.name] = row[f.name].item() if hasattr(row[f.name], "item") else row[f.name]
            elif f.kind == "bool":
                record[f.name] = bool(row[f.name])
        assert schema.validate(record) == {}
