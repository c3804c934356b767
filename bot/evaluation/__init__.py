"""Measuring how well the assistant understands parents, against Rasa's default pipeline."""
