"""service/assessments."""
