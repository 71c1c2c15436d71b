"""tokenlens: a private ledger of AI coding tools' token usage and agent permissions."""

__version__ = "0.1.0"
