"""DRF permissions by role and by scope, and the ownership rule every service applies."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

M = TypeVar("M", bound=Model)


def _principal(request: Request) -> Any:
    return getattr(request, "user", None)


class IsUser(BasePermission):
    """A signed-in person (an access token), not a service calling as itself."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = _principal(request)
        return bool(user and user.is_authenticated and not getattr(user, "is_service", False))


class IsStaff(IsUser):
    """A person with the staff or admin role."""

    message = "Staff only."

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and bool(_principal(request).is_staff)


class IsStaffOrReadOnly(BasePermission):
    """Anyone may read (GET, HEAD, OPTIONS); only staff may write."""

    message = "Staff only."
    anonymous_reads = True  # the OpenAPI documents say so (servicekit.schema.AutoSchema)

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or IsStaff().has_permission(request, view)


class IsAdmin(IsUser):
    """A person with the admin role."""

    message = "Administrators only."

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and _principal(request).has_role("admin")


class IsService(BasePermission):
    """A service calling as itself with a service token."""

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = _principal(request)
        return bool(principal and getattr(principal, "is_service", False))


def HasScope(scope: str) -> type[BasePermission]:  # noqa: N802 - reads as a class in permission_classes
    """A permission class admitting only service tokens that carry `scope`."""

    class _HasScope(IsService):
        message = f"This call needs the {scope!r} scope."

        def has_permission(self, request: Request, view: Any) -> bool:
            return super().has_permission(request, view) and scope in _principal(request).scopes

    _HasScope.__name__ = f"HasScope({scope})"
    return _HasScope


def owned_by_caller(queryset: QuerySet[M], request: Request, *, owner_field: str = "owner_id") -> QuerySet[M]:
    """Restrict a queryset to the caller's own rows; staff see every row.

    A row of someone else is then simply not found (404), which reveals nothing about it.
    """
    user = _principal(request)
    if user is not None and user.is_staff:
        return queryset
    owner_id: uuid.UUID | None = getattr(user, "id", None)
    if owner_id is None:
        return queryset.none()
    return queryset.filter(**{owner_field: owner_id})


class EmailVerified(IsUser):
    """A person whose token says their email address is verified: required to move money."""

    message = "Verify your email address first: a code was sent to it (POST /auth/api/email/verify/)."
    code = "email_not_verified"

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and bool(getattr(_principal(request), "email_verified", False))
