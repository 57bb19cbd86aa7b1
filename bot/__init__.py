"""Qingting (倾听): the running service around a Rasa complaint-handling assistant."""
