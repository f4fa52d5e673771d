"""The API's URL configuration: the NinjaAPI instance with every area's router."""

from django.urls import path

from backhaul.api.main import api

urlpatterns = [path("", api.urls)]
