"""The client's private network transport (PROTOCOL §13)."""
