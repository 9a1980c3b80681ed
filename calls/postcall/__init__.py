"""After the call: summary, extraction and notification emails, as Celery tasks over services.

`services.postcall_enqueue` schedules the chain summarize → extract → notify once a call is
finished (`calls.services.call_finish`, on commit); `calls/tasks.py` are the thin tasks.
"""
