"""Account events: logins and account changes the shop reports, scored on their own and
used as history when an order is scored (see docs/events.md)."""
