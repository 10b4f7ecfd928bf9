from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from users.models import LoginFailure, OneTimeCode, RefreshTokenRecord, ServiceClient, SignInThrottle, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users by email, with roles and activity; ids and dates are read-only."""

    ordering = ["email"]
    list_display = ["email", "full_name", "roles", "email_verified", "is_active", "date_joined"]
    list_filter = ["is_active", "email_verified", "is_superuser"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["id", "date_joined", "updated_at", "last_login"]
    fieldsets = [
        (None, {"fields": ["id", "email", "password"]}),
        ("Profile", {"fields": ["full_name", "email_verified"]}),
        ("Access", {"fields": ["roles", "is_active", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined", "updated_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal = ["groups", "user_permissions"]


@admin.register(RefreshTokenRecord)
class RefreshTokenRecordAdmin(admin.ModelAdmin):
    """Issued refresh tokens: read-only, for following a session or a revocation."""

    list_display = ["jti", "user", "family", "issued_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["jti", "family", "user__email"]
    readonly_fields = ["jti", "user", "family", "issued_at", "expires_at", "revoked_at", "replaced_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RefreshTokenRecord | None = None) -> bool:
        return False


@admin.register(ServiceClient)
class ServiceClientAdmin(admin.ModelAdmin):
    """Service clients; secrets are set with `manage.py register_service_client`, never shown."""

    list_display = ["client_id", "scopes", "audience", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["client_id"]
    fields = ["client_id", "scopes", "audience", "is_active", "created_at", "updated_at"]
    readonly_fields = ["client_id", "created_at", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Failed sign-ins and checks in flight per email and client address; deleting a row unlocks that address."""

    list_display = ["email", "address", "failures", "last_failed_at", "locked_until", "in_flight"]
    search_fields = ["email", "address"]
    readonly_fields = ["email", "address", "failures", "last_failed_at", "locked_until", "in_flight", "in_flight_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SignInThrottle)
class SignInThrottleAdmin(admin.ModelAdmin):
    """Failed sign-ins per email from every address; deleting a row ends that email's slow-down."""

    list_display = ["email", "failures", "last_failed_at", "next_check_at"]
    search_fields = ["email"]
    readonly_fields = ["email", "failures", "last_failed_at", "next_check_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OneTimeCode)
class OneTimeCodeAdmin(admin.ModelAdmin):
    """Codes sent by email (never shown: only their keyed hash is stored); deleting one makes it unusable."""

    list_display = ["user", "purpose", "created_at", "expires_at", "failed_tries", "used_at"]
    list_filter = ["purpose"]
    search_fields = ["user__email"]
    fields = ["user", "purpose", "created_at", "expires_at", "failed_tries", "used_at"]
    readonly_fields = ["user", "purpose", "created_at", "expires_at", "failed_tries", "used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OneTimeCode | None = None) -> bool:
        return False
