"""training/reports."""
