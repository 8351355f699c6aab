"""Policy and claims files: reading, per-file rules, per-column cell checks, the defect report."""
