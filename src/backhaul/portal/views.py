"""Member Centre pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from backhaul.catalogue.models import Brand


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"brands": Brand.objects.order_by("name")})
