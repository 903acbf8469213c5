from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from surveys.models import DevMail


def _dev_mailbox_enabled() -> bool:
    return settings.EMAIL_BACKEND == "surveys.mailbox.DevMailboxBackend"


@login_required
def dev_mailbox(request):
    if not _dev_mailbox_enabled():
        raise Http404("The dev mailbox is off: a real mail server is configured.")
    page = Paginator(DevMail.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "surveys/dev_mailbox.html", {"page": page})


@login_required
def dev_mail_detail(request, pk: int):
    if not _dev_mailbox_enabled():
        raise Http404("The dev mailbox is off: a real mail server is configured.")
    mail = get_object_or_404(DevMail, pk=pk)
    return render(request, "surveys/dev_mail_detail.html", {"mail": mail})
