"""service/storage."""
