"""Shared foundation for every package: configuration, database, staff authentication, CLI."""
