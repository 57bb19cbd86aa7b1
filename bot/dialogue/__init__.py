"""Dialogue mechanics that Rasa's own policies cannot express as rules."""
