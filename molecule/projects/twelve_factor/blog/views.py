from django.shortcuts import get_object_or_404, render

from .models import Post


def index(request):
    return render(request, "blog/index.html", {"posts": Post.objects.all()[:20]})


def post(request, slug):
    return render(request, "blog/post.html", {"post": get_object_or_404(Post, slug=slug)})
