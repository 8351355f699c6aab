"""models/underwriting."""
