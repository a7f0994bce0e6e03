"""Pages of the example app: notes (database + upload), a health check and the running release."""

from __future__ import annotations

import os
import socket
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .forms import NoteForm
from .models import Note, Tally
from .tasks import count_words


@cache
def revision() -> str:
    try:
        return settings.REVISION_FILE.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return "unknown"


def index(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = NoteForm(request.POST, request.FILES)
        if form.is_valid():
            note = form.save()
            # To the worker once the note is in the database (at once, without a broker).
            count_words.delay_on_commit(note.pk)
            return redirect("index")
    else:
        form = NoteForm()
    context = {"form": form, "notes": Note.objects.all()[:20], "tally": Tally.objects.first(), "revision": revision()}
    return render(request, "notes/index.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The health contract (README, "The health contract"): 200 when the database answers a query, 503 when it
    does not, with the release's revision so the gate knows the new workers answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database error means unhealthy
        return JsonResponse(
            {"status": "error", "database": type(exc).__name__, "revision": revision()}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok", "revision": revision()})


@never_cache
@require_GET
def version(request: HttpRequest) -> JsonResponse:
    """The release serving this request, and where its code and libraries live."""
    import django

    return JsonResponse(
        {
            "revision": revision(),
            "code": str(settings.BASE_DIR),
            "django": django.get_version(),
            "django_path": str(Path(django.__file__).resolve().parent),
            "cwd": os.getcwd(),
            "notes": Note.objects.count(),
            # Who asked, as Django sees it (behind nginx, and behind balancers), and which host answered.
            "client": request.META.get("HTTP_X_FORWARDED_FOR", request.META.get("REMOTE_ADDR", "")),
            "secure": request.is_secure(),
            "host": socket.gethostname(),
        }
    )
