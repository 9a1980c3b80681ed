"""Outbound calls: staff, schedules and small campaigns call people; retries, calling hours, do-not-call."""
