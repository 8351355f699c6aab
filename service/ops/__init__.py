"""service/ops."""
