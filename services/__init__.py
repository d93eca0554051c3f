"""Services: every operation that changes the store, in one call used by the pages and cli.py.

Each operation validates its input, writes, records its audit event and says what it changed
(services.versions), so that a page and a command doing the same thing cannot drift apart:
accounts, waves, organisation, invitations and imports (the historical responses). The audit
actions are the closed set `data.audit.Action`; a refusal is `data.problems.Refused`, worded by
texts (English for cli.py, English or Chinese for the pages through ui/problems.py).
The staff survey's submissions do not come through here: their writer (data/submissions.py) is
tuned for throughput and records no audit event (answers never go into the audit log).
"""
