"""The trainer loop (issue 7): review real conversations, correct, export, lint, train, test."""
