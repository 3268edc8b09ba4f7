"""What researchers read: the report, charts, the stats JSON, exports, and numbers and names as text."""
