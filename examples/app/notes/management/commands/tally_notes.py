"""manage.py tally_notes: count the notes and their words, and keep the count with the host that made it (the
example app's scheduled job, a systemd timer on one host)."""

from __future__ import annotations

import socket

from django.core.management.base import BaseCommand
from django.db.models import Count, Sum

from notes.models import Note, Tally


class Command(BaseCommand):
    help = "Count the notes and their words, and keep the count."

    def handle(self, *args: object, **options: object) -> None:
        found = Note.objects.aggregate(notes=Count("id"), words=Sum("words"))
        tally = Tally.objects.create(host=socket.gethostname(), notes=found["notes"], words=found["words"] or 0)
        self.stdout.write(f"tally on {tally.host}: {tally.notes} notes, {tally.words} words")
