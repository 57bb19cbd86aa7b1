"""Rasa custom actions (rasa_sdk). Thin: they translate tracker state into calls on bot/."""
