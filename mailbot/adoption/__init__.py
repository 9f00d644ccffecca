"""Adoption (采用) of submissions: the vocabulary of kinds and levels, the ledger with its change history,
the spreadsheet import, and the pure scoring over values."""
