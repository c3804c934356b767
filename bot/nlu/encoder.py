"""all-MiniLM-L6-v2 as a sentence encoder: TFBertModel compiled once, mean-pooled as the model was trained.

Rasa's LanguageModelFeaturizer runs the model eagerly (about 70 ms a message on the development
machine) and takes the [CLS] vector as the sentence feature, which this model was not trained to
give. Here the forward pass is one `tf.function` with a fixed input signature (int32 ids and mask,
any batch and length), traced once, and the sentence embedding is the attention-masked mean of the
last hidden states, L2-normalised: what sentence-transformers computes for this model. Each batch is
padded to its own longest message (at most `max_tokens`), not to a fixed length: padding every message
to 128 tokens made one message three times slower (docs/results.md).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.nlu.encoder_files import verify_once

EMBEDDING_SIZE = 384
# The model was trained on up to 256 word pieces; a 1,000-character message (the widget's limit) fits.
DEFAULT_MAX_TOKENS = 256


class CompiledEncoder:
    """Sentences in, (n, 384) float32 embeddings out. Refuses to load files whose SHA-256 is not pinned."""

    def __init__(self, folder: Path, max_tokens: int = DEFAULT_MAX_TOKENS, normalize: bool = True) -> None:
        verify_once(folder)
        # Nothing is ever fetched: the files are local, and the hub libraries are told so too.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import tensorflow as tf
        import transformers
        from tokenizers import Tokenizer

        self.max_tokens = max_tokens
        self.normalize = normalize
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        verbosity = transformers.logging.get_verbosity()
        transformers.logging.set_verbosity_error()  # "position_ids not used" is expected for this checkpoint
        try:
            self.model = transformers.TFBertModel.from_pretrained(str(folder), local_files_only=True)
        finally:
            transformers.logging.set_verbosity(verbosity)
        spec = tf.TensorSpec(shape=[None, None], dtype=tf.int32)
        self._forward = tf.function(self._pooled, input_signature=[spec, spec])

    def _pooled(self, ids, mask):  # noqa: ANN001, ANN202 (tensors)
        import tensorflow as tf

        hidden = self.model(input_ids=ids, attention_mask=mask, token_type_ids=tf.zeros_like(ids), training=False)
        weights = tf.cast(mask, hidden.last_hidden_state.dtype)[:, :, None]
        summed = tf.reduce_sum(hidden.last_hidden_state * weights, axis=1)
        pooled = summed / tf.maximum(tf.reduce_sum(weights, axis=1), 1e-9)
        return tf.math.l2_normalize(pooled, axis=1) if self.normalize else pooled

    def token_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(ids, mask) for a batch, padded to its longest message; [CLS] and [SEP] even for empty text."""
        # A lone surrogate (JSON allows "\\ud800") cannot go to the tokenizer as UTF-8: it becomes "?".
        encodings = self.tokenizer.encode_batch([str(t).encode("utf-8", "replace").decode("utf-8") for t in texts])
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int32)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        return ids, mask

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embeddings in the order given; batches hold messages of similar length, so little is padded."""
        out = np.zeros((len(texts), EMBEDDING_SIZE), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            ids, mask = self.token_ids([texts[i] for i in chosen])
            out[chosen] = self._forward(ids, mask).numpy()
        return out


_loaded: dict[tuple[Path, int, bool], CompiledEncoder] = {}
_lock = threading.Lock()


def shared_encoder(folder: Path, max_tokens: int = DEFAULT_MAX_TOKENS, normalize: bool = True) -> CompiledEncoder:
    """One encoder per process and setting: a Rasa model loaded twice (evaluation does) shares the weights.

    The files are verified again on each call (skipped when their sizes and times are unchanged).
    """
    key = (folder.resolve(), max_tokens, normalize)
    with _lock:
        verify_once(folder)
        if key not in _loaded:
            _loaded[key] = CompiledEncoder(folder, max_tokens, normalize)
        return _loaded[key]
