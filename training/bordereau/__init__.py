"""training/bordereau."""
