"""service/quotes."""
