"""Signals: pure functions from the activity store to evidence.

Every signal follows one small interface (:class:`unmask.signals.base.Signal`): parameters
with documented defaults given to the constructor, and ``run(engine)`` that returns
:class:`unmask.signals.base.Evidence`. Signals do not know about each other.
"""
