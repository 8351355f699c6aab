"""service/http."""
