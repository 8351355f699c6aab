"""The worker's quote engine: loading it, and hot reload when the ACTIVE pointer changes."""
