"""The load benchmark's test reuses the real-server fixtures of the browser tests."""

from tests.e2e.conftest import e2e_data_dir  # noqa: F401  (a fixture, used by name)
