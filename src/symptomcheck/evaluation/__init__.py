"""Evaluation on simulated DDXPlus patients: the metrics, the simulated interviews and the report."""
