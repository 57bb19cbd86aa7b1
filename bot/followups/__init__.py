"""Follow-ups (回访), satisfaction (CSAT) and SLA escalation: records and the scheduler."""
