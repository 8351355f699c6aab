"""service/model_versions."""
