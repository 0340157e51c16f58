"""Plumbing every part of zkcredits shares, written once.

- `atomic`: crash-safe file writes (temp file beside the target, fsync, rename, fsync the dir).
- `sqlite`: one way to open a SQLite file (WAL, `synchronous=FULL`, busy timeout, foreign keys).
- `server`: uvicorn in a thread of this process (bound first, waits until serving, stops by join).
- `secret_file`: reading and writing secret files under one permission rule (owner only).
- `strict_json`: JSON with one meaning (no duplicate keys, no NaN; integers only where asked).

Callers keep their own errors and messages: they catch `PlumbingError` (or a subclass) and
raise their package's error, usually with the plumbing message, which names the path.
"""
