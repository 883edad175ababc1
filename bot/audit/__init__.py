"""The audit trail: what is recorded (storage/audit.py holds it) and how it is exported."""
