"""Fitting: the frequency and severity boosters, their balance to observed totals, the GLM baseline."""
