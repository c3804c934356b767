"""Guidance content that editors own: loading, rendering (buttons included), checking, live reloading, and the
replies built into the Rasa domain so that they work without the action server."""
