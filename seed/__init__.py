"""The demo town (`python -m seed`), built through the services. See seed/town.py."""
