"""Singer target for DuckDB."""
