"""training/world."""
