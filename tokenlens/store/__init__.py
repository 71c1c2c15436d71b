"""The SQLite ledger on this device: opening it safely and the queries everything shares."""

from tokenlens.store.ledger import LedgerError, open_ledger

__all__ = ["LedgerError", "open_ledger"]
