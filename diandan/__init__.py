"""Operator commands: `python -m diandan backup|restore|check|health` (see `__main__.py`)."""
