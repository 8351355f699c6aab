"""models/pricing."""
