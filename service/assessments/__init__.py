"""The city self-assessment: POST /v1/assessments and the /assess page, form, charts and templates."""
