"""Consultations: one thread with a question and a closing date, listed on several boards."""
