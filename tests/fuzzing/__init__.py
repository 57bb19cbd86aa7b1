"""Generated bad input for every entry point: one definition, used by the test suite
(tests/hardening, small samples) and by bench/fuzz.py (10,000 inputs per entry point)."""
