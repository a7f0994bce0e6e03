"""Background tasks (Django's tasks framework; django-tasks on Django 5.2), run by `manage.py db_worker`."""
from django_tasks import task

from .models import Post


@task()
def count_words(slug):
    """The number of words in a post's body."""
    return len(Post.objects.get(slug=slug).body.split())
