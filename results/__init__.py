"""Researchers' area: the tidy trial table, statistics, charts, exports and the report."""
