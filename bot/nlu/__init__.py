"""Chinese language mechanics: normalisation, jieba, spaCy rule matchers, Rasa components."""
