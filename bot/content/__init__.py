"""Guidance content that editors own: loading, rendering, checking and live reloading."""
