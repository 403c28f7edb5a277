"""A module that only an EarlyProcess imports (tests/output/test_pool.py)."""
