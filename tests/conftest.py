"""Shared fixtures.

The session fixtures that train small bundles (tests/pipeline_portfolio.py,
tests/service/model_versions.py) are registered here once, so each trains
once per test session whatever the number of modules that use it.
"""

pytest_plugins = ["tests.pipeline_portfolio", "tests.service.model_versions"]
