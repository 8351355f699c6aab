"""Shared fixtures.

The session fixtures that train small bundles (tests/support/portfolio.py,
tests/support/model_versions.py) are registered here once, so each trains
once per test session whatever the number of modules that use it.
"""

pytest_plugins = ["tests.support.portfolio", "tests.support.model_versions"]
