"""History and velocity features served from memory, kept current from the store.

:mod:`fraud.featurestore.memory` holds the bounded in-memory history,
:mod:`fraud.featurestore.followed` keeps it in step with the store and answers
look-ups (``FRAUD_HISTORY_BACKEND=memory``; the default ``store`` reads the store on
every order). Both hand the same :class:`fraud.history.HistorySnapshot` to the same
pure :func:`fraud.history.history_features`.
"""

from fraud.featurestore.followed import FollowedHistory, FollowedView
from fraud.featurestore.memory import BoundedMemoryHistory

__all__ = ["BoundedMemoryHistory", "FollowedHistory", "FollowedView"]
