"""Crash-point testing of the maintenance operations (issue 12): see harness.py."""
