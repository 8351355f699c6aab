"""training/commands."""
