"""Understanding components of our own for the Rasa NLU pipeline."""
