"""models/scoring."""
