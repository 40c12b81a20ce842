"""Read-only aggregates of the sales domain (rollups) and the files reports are exported to."""
