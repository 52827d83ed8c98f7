"""The baseline's URLs: django-helpdesk at the root, as its docs suggest."""

from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
