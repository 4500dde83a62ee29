"""Maintenance commands run from a shell (`python -m admin …`)."""
