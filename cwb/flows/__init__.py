"""Flows between places: the flows table, Census importers, measures, map layer, report."""
