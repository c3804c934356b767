"""Keep `.env` complete: settings added to `.env.example` since `.env` was made are filled in.

Secrets are generated fresh, never copied from the example; values already in `.env` are never changed.
"""

from __future__ import annotations

from pathlib import Path

from dotenv import dotenv_values, set_key

from bot.config import generated_secrets


def complete_env(env_path: Path, example_path: Path) -> list[str]:
    """Add every setting of the example that `.env` lacks (or a generated secret left empty); returns their names."""
    example = dotenv_values(example_path)
    current = dotenv_values(env_path) if env_path.exists() else {}
    generated = generated_secrets()  # which settings are secrets setup makes, and how (bot.config)
    added = []
    for key, default in example.items():
        missing = key not in current
        empty_secret = key in generated and not (current.get(key) or "").strip()
        if not (missing or empty_secret):
            continue
        value = generated[key]() if key in generated else (default or "")
        set_key(str(env_path), key, value, quote_mode="never")
        added.append(key)
    if env_path.exists():
        env_path.chmod(0o600)
    return added
