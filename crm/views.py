from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from crm.access import client_for_user, clients_visible_to
from crm.health import run_checks


@login_required
def home(request):
    clients = clients_visible_to(request.user)
    return render(
        request,
        "crm/home.html",
        {"client_count": clients.count(), "active_count": clients.active().count()},
    )


@never_cache
def health(request):
    checks = run_checks()
    healthy = all(check.ok for check in checks if check.required)
    status = 200 if healthy else 503
    if request.GET.get("format") == "json" or "application/json" in request.headers.get(
        "Accept", ""
    ):
        return JsonResponse(
            {
                "healthy": healthy,
                "checks": {
                    c.name: {"ok": c.ok, "detail": c.detail, "required": c.required} for c in checks
                },
            },
            status=status,
        )
    return render(request, "health.html", {"checks": checks, "healthy": healthy}, status=status)


@login_required
def client_detail(request, pk: int):
    client = client_for_user(request.user, pk)
    return render(request, "crm/client_detail.html", {"client": client})
