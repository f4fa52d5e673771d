"""Network tests: the `radius` marker for tests that run the real FreeRADIUS."""

from __future__ import annotations


def pytest_configure(config) -> None:  # type: ignore[no-untyped-def]
    config.addinivalue_line(
        "markers", "radius: runs the real FreeRADIUS against PostgreSQL (see `make radius`)"
    )
