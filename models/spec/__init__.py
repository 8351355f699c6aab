"""models/spec."""
