"""Error pages that say what happened and what to do next, in the site's layout."""

from django.shortcuts import render


def bad_request(request, exception=None):
    """A request Django could not read (a body in a charset other than UTF-8, a malformed
    multipart body...). Unlike Django's default, this handler never runs the CSRF check again:
    that check reads the body, which is what failed, and turned the 400 into a 500."""
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", {"reason": _reason(exception)}, status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # Rendered without a request context: the failure may be in a context processor.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("errors/500.html").render())


def _reason(exception) -> str:
    return str(exception) if exception and str(exception) else ""
