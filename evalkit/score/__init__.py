"""Scores: exact arithmetic over the decided findings, grades, the quota and ranks."""
