"""The bordereau's defect report is the shared one of models/tables/defects.py.

Kept under this name for the callers that import it from here
(benchmarks/bench_validate.py); new code imports models.tables.defects.
"""

from models.tables.defects import Defect, DefectGroup, ValidationReport

__all__ = ["Defect", "DefectGroup", "ValidationReport"]
