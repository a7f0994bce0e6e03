from django.db import models


class Note(models.Model):
    text = models.CharField(max_length=200)
    attachment = models.FileField(upload_to="notes/%Y/%m/", blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # Written by the worker (notes.tasks.count_words): None until it has counted. Database defaults, so that
    # the release before, which knows nothing of these columns, can still insert notes while a deploy runs.
    words = models.PositiveIntegerField(null=True, blank=True)
    counted_by = models.CharField(max_length=255, blank=True, db_default="")
    count_attempts = models.PositiveIntegerField(db_default=0)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.text


class Tally(models.Model):
    """What the scheduled job (manage.py tally_notes, a timer) found: one row each time it ran, and where."""

    at = models.DateTimeField(auto_now_add=True)
    host = models.CharField(max_length=255)
    notes = models.PositiveIntegerField()
    words = models.PositiveIntegerField()

    class Meta:
        ordering = ["-at"]
