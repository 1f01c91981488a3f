"""Modules of bench/run, the offsite benchmark harness (issue 9)."""
