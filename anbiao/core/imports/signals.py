"""What an import tells the rest of the system once its rows are written (committed), so that
apps above `core` can react without `core` importing them (docs/architecture.md)."""

from django.dispatch import Signal

# Sent after an import, from the web (the worker's job) or the command line, committed rows;
# `sender` is the import kind ("ledger", "progress", …). The campaigns app counts its figures
# again in the background (campaigns/tasks.py).
rows_imported = Signal()
