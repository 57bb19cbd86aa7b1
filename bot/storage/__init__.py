"""The product's own records (SQLAlchemy 1.4, 2.0-style API) and their repositories."""
