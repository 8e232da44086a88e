"""Rerunnable benchmark of the KPI queries and pages at 1x (the sample) and 100x (synthetic)."""
