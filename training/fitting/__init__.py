"""training/fitting."""
