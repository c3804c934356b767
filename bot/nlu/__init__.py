"""The project's own Rasa NLU components: the text cleaner and the sentence encoder (the safety net lives in bot/safety/)."""
