"""Actuaries' pipeline: bordereaux, synthetic portfolio, fitting, evaluation, CLI."""
