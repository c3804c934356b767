"""Train a Rasa model only when its inputs (data/, domain/, config.yml) have changed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.config import DOMAIN_DIR, PROJECT_ROOT

MODEL_DIR = PROJECT_ROOT / "models"
MODEL_NAME = "current"
MODEL_PATH = MODEL_DIR / f"{MODEL_NAME}.tar.gz"
FINGERPRINT_PATH = MODEL_DIR / "current.fingerprint"


def training_inputs(root: Path = PROJECT_ROOT) -> list[Path]:
    """Every file Rasa trains from: the training data, each domain file (Rasa merges them all), the pipeline,
    and the code of our own NLU components, whose trained state is in the model (bot/nlu/)."""
    data = sorted(p for p in (root / "data").rglob("*") if p.is_file())
    domain = sorted(p for p in (root / DOMAIN_DIR.name).rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml"))
    components = sorted((root / "bot" / "nlu").glob("*.py"))
    return data + domain + [root / "config.yml"] + components


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def model_is_current(root: Path = PROJECT_ROOT) -> bool:
    return (
        MODEL_PATH.exists() and FINGERPRINT_PATH.exists() and FINGERPRINT_PATH.read_text().strip() == fingerprint(root)
    )


def train_if_needed(force: bool = False) -> bool:
    """Returns True where a model was trained. Raises CalledProcessError when training fails."""
    if not force and model_is_current():
        print(f"Model is up to date ({MODEL_PATH.relative_to(PROJECT_ROOT)}); not retraining.")
        return False
    print("Training the assistant's model (data/, domain/ or config.yml changed)...", flush=True)
    started = time.monotonic()
    expected = fingerprint()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "--domain",
            DOMAIN_DIR.name,
            "--config",
            "config.yml",
            "--data",
            "data",
            "--out",
            str(MODEL_DIR),
            "--fixed-model-name",
            MODEL_NAME,
            "--force",
        ],
        cwd=PROJECT_ROOT,
        check=True,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    FINGERPRINT_PATH.write_text(expected + "\n")
    print(f"Training took {time.monotonic() - started:.1f} s.")
    return True
