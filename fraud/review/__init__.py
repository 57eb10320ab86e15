"""The review queue's library: who may sign in and do what (:mod:`~fraud.review.users`,
:mod:`~fraud.review.roles`, :mod:`~fraud.review.sessions`), the queue of held orders
(:mod:`~fraud.review.queue`), what the order page shows (:mod:`~fraud.review.dossier`),
and the one door every reviewer action goes through (:func:`fraud.review.actions.act`),
which writes the append-only audit log (:mod:`~fraud.review.audit`).

The web pages in ``api/review/`` are a thin layer over these; nothing here imports them.
"""
