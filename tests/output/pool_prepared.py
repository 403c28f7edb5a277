"""A module that only the processes of EarlyWorkers import (tests/output/test_pool.py)."""
