"""Spreadsheet imports, shared by every app that takes files in.

- `reader`: read a file's rows by the meaning of its headers, bounded before reading.
- `outcome`: ImportOutcome, the one result shape of every import kind.
- `registry`: the import kinds, registered by their apps (core knows none of them).
- `jobs`: the import record's life (check → confirm → import), in the background worker.
- `views`, `urls`: the upload / check / progress pages.

How to add a kind: docs/import-ledger.md ("Adding an import kind").
"""
