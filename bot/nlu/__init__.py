"""Chinese language mechanics: normalisation, jieba, spaCy rule matchers, Rasa components."""

from pathlib import Path


def code_files() -> list[Path]:
    """The modules that build and run the trained NLU models: a change in one retrains them
    (it is part of the model fingerprint, like the training data)."""
    return sorted(p for p in Path(__file__).parent.glob("*.py") if p.name != "evaluation.py")
