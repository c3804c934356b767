"""Measuring how well the assistant understands parents: held-out and development-set scores against Rasa's
default pipeline (`python -m bot evaluate`), and the independent challenge sets (`python -m bot safety-challenge`)."""
