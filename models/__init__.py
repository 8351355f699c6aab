"""The risk model: field spec, features, bundles, pricing, explanations, registry.

Pure Python with numpy, pandas and xgboost; no Flask, no database.
"""
