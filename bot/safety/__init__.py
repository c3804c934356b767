"""Danger recognised in any message: the safety lexicon put over the learned model, a check question where only
the model sees danger, and the four kinds of danger named once (`intents.py`)."""
