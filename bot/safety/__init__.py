"""Danger recognised in any message, by a deterministic lexicon under the learned model."""
