"""Console actions ask for confirmation before they change anything.

Put ``@confirm_action`` on every console action that changes data: under unfold's
``@action`` (so its permission check runs first), or on a custom console view::

    @action(description="Credit in full with a credit note", permissions=["credit"])
    @confirm_action
    def credit_in_full(self, request, queryset): ...

    @confirm_action("Credit control: {which}")
    def act_view(self, request, object_id, which): ...

A POST that is not yet confirmed changes nothing: it is answered with a page that says what
is about to happen and lists the records chosen or the values entered, with "Yes, go ahead"
(which posts the same data again with ``_confirmed=yes``) and "No, go back". GET requests
pass straight through, so forms show as before. An upload cannot be carried through a
confirmation page, so a POST with files goes straight to the view.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast, overload

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.admin.utils import model_format_dict
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme

CONFIRM_FIELD = "_confirmed"
CONFIRMED = "yes"
SHOWN_OBJECTS = 50
SHOWN_VALUE_CHARS = 500
TEMPLATE = "console/confirm.html"
_NOT_REPOSTED = frozenset({"csrfmiddlewaretoken", CONFIRM_FIELD})

F = TypeVar("F", bound=Callable[..., Any])


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRM_FIELD) == CONFIRMED


@overload
def confirm_action(function: F, /) -> F: ...
@overload
def confirm_action(function: str | None = None, /) -> Callable[[F], F]: ...
def confirm_action(function: F | str | None = None, /) -> F | Callable[[F], F]:
    """Decorate a console action or view so that an unconfirmed POST only asks first.

    ``@confirm_action`` or ``@confirm_action("Title with {url_kwarg}")``: the title names
    what will happen; for admin actions it defaults to the action's description.
    """
    title = function if isinstance(function, str) else None

    def decorate(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = next((a for a in args if isinstance(a, HttpRequest)), None)
            if (
                request is None
                or request.method != "POST"
                or is_confirmed(request)
                or request.FILES
            ):
                return func(*args, **kwargs)
            model_admin = next((a for a in args if isinstance(a, BaseModelAdmin)), None)
            queryset = next((a for a in args if isinstance(a, QuerySet)), None)
            if queryset is not None:
                return _confirm_selection(request, model_admin, queryset, func.__name__)
            return _confirm_submission(request, model_admin, title, kwargs)

        wrapper.confirms = True  # type: ignore[attr-defined]
        return cast(F, wrapper)

    if callable(function):
        return decorate(function)
    return decorate


def _confirm_selection(
    request: HttpRequest, model_admin: Any, queryset: QuerySet[Any], default_name: str
) -> HttpResponse:
    """An admin action on the selected rows of a changelist."""
    names = request.POST.getlist("action")
    try:
        name = names[int(request.POST.get("index", 0))]
    except (IndexError, ValueError):
        name = names[0] if names else default_name
    title = name.replace("_", " ").capitalize()
    if model_admin is not None:
        chosen = model_admin.get_actions(request).get(name)
        if chosen is not None:
            try:
                title = str(chosen[2]) % model_format_dict(model_admin.opts)
            except (KeyError, TypeError, ValueError):
                title = str(chosen[2])
    hidden = [("action", name)]
    hidden += [(ACTION_CHECKBOX_NAME, v) for v in request.POST.getlist(ACTION_CHECKBOX_NAME)]
    if request.POST.get("select_across"):
        hidden.append(("select_across", request.POST["select_across"]))
    count = queryset.count()
    objects = list(queryset[:SHOWN_OBJECTS])
    return _page(
        request,
        model_admin,
        {
            "title": title,
            "objects": objects,
            "count": count,
            "more": max(0, count - len(objects)),
            "objects_name": _verbose_name(model_admin, count),
            "hidden": hidden,
            "back_url": request.get_full_path(),
        },
    )


def _confirm_submission(
    request: HttpRequest, model_admin: Any, title: str | None, kwargs: dict[str, Any]
) -> HttpResponse:
    """A console form or button posted to a custom view."""
    if model_admin is not None and not model_admin.has_view_permission(request):
        raise PermissionDenied
    words = {k: str(v).replace("_", " ").replace("-", " ") for k, v in kwargs.items()}
    try:
        heading = title.format(**words) if title else "Confirm this change"
    except (KeyError, IndexError):
        heading = title or "Confirm this change"
    hidden, values = [], []
    for key in request.POST:
        if key in _NOT_REPOSTED:
            continue
        posted = request.POST.getlist(key)
        hidden += [(key, v) for v in posted]
        shown = ", ".join(v for v in posted if v.strip())
        if len(shown) > SHOWN_VALUE_CHARS:
            shown = shown[:SHOWN_VALUE_CHARS] + "…"
        values.append((_label(key), shown or "—"))
    referer = request.headers.get("referer", "")
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return _page(
        request,
        model_admin,
        {
            "title": heading,
            "object": _target(request, model_admin, kwargs),
            "values": values,
            "hidden": hidden,
            "back_url": referer if referer and safe else request.get_full_path(),
        },
    )


def _target(request: HttpRequest, model_admin: Any, kwargs: dict[str, Any]) -> Model | None:
    """The record the view acts on, when its URL names one of the admin's own model."""
    if model_admin is None:
        return None
    key = next((k for k in ("object_id", "pk") if k in kwargs), None)
    if key is None:
        own = f"{model_admin.opts.model_name}_id"
        key = own if own in kwargs else None
    if key is None:
        return None
    return cast(Model | None, model_admin.get_object(request, str(kwargs[key])))


def _label(field: str) -> str:
    """``payment-amount`` -> ``Amount``: the field name without its form prefix."""
    name = field.rsplit("-", 1)[-1] if "-" in field else field
    return name.replace("_", " ").strip().capitalize() or field


def _verbose_name(model_admin: Any, count: int) -> str:
    if model_admin is None:
        return "records"
    opts = model_admin.opts
    return str(opts.verbose_name if count == 1 else opts.verbose_name_plural)


def _page(request: HttpRequest, model_admin: Any, context: dict[str, Any]) -> HttpResponse:
    site = model_admin.admin_site if model_admin is not None else admin.site
    return TemplateResponse(
        request,
        TEMPLATE,
        {
            **site.each_context(request),
            "opts": model_admin.opts if model_admin is not None else None,
            "confirm_field": CONFIRM_FIELD,
            "confirmed": CONFIRMED,
            "action_url": request.get_full_path(),
            **context,
        },
    )
