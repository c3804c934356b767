"""The project's own Rasa NLU components (the safety net lives in bot/safety/)."""
