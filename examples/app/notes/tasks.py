"""The example app's background job: count a note's words, its attachment's too, in a worker."""

from __future__ import annotations

import re
import socket
import time

from django.db.models import F

from webstack_example.celery import app

from .models import Note

# The most of an attachment read; the rest is not counted.
MOST = 1024 * 1024


@app.task
def count_words(note_id: int) -> int:
    """Counts the words of a note and of its attachment (as UTF-8 text, where this host has the file) and writes
    them, with the host that counted, on the note. Each attempt is counted too: a job redone after a worker died
    shows 2. Done again, it writes the same.
    """
    Note.objects.filter(pk=note_id).update(count_attempts=F("count_attempts") + 1)
    note = Note.objects.get(pk=note_id)
    text = note.text
    if note.attachment:
        # On the web host that took the upload; another host has it only where the media is shared.
        try:
            with note.attachment.open("rb") as attachment:
                text += " " + attachment.read(MOST).decode("utf-8", errors="replace")
        except FileNotFoundError:
            pass
    # A note that starts "slow N" takes N seconds (at most 60) to count: a job in flight, for the tests that
    # restart or kill a worker mid-job.
    slow = re.match(r"slow (\d+)\b", note.text)
    time.sleep(min(int(slow.group(1)), 60) if slow else 0)
    words = len(text.split())
    Note.objects.filter(pk=note_id).update(words=words, counted_by=socket.gethostname())
    return words
