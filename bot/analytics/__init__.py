"""Complaint analytics for supervisors: figures computed in SQL, demo data, CSV export."""
