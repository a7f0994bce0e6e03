from django.db import models


class Note(models.Model):
    text = models.CharField(max_length=200)
    attachment = models.FileField(upload_to="notes/%Y/%m/", blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.text
