"""Serving a class from one process: a keyed result cache shared across sessions (``cache``, ``keys``), one admission
queue for heavy calls with as many slots as cores (``admission``), single flight over both (``runner``), the pages'
heavy calls as keyed jobs (``jobs``) and warm-up at server start (``warmup``). Pure Python: the Streamlit glue is
ui/serving.py.
"""
from .admission import AdmissionQueue, Cancelled, Stopped, Ticket, TimeLimit
from .cache import Entry, ResultCache, nbytes
from .keys import key_of
from .runner import Batch, Flight, Job, Outcome, Serving, Status

__all__ = ["AdmissionQueue", "Batch", "Cancelled", "Entry", "Flight", "Job", "Outcome", "ResultCache", "Serving",
           "Status", "Stopped", "Ticket", "TimeLimit", "key_of", "nbytes"]
