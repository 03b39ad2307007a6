"""The classroom's widgets: who is signed in, the join form, queue status, the teacher's page."""
