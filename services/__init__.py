"""Services: every operation that changes the store, in one call used by the pages and cli.py.

Each operation validates its input, writes, records its audit event and says what it changed
(services.versions), so that a page and a command doing the same thing cannot drift apart.
"""
