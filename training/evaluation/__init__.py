"""Holdout metrics, evaluation against the GLM and the truth, champion against challenger."""
