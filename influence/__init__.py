"""Shared infrastructure of influence-lakehouse: configuration, the Spark session, the table registry."""
