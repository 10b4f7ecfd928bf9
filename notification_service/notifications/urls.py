from django.urls import URLPattern, URLResolver, path

from notifications import apis

urlpatterns: list[URLPattern | URLResolver] = [
    path("notifications/", apis.NotificationListApi.as_view(), name="notification-list"),
    path("notifications/read-all/", apis.NotificationReadAllApi.as_view(), name="notification-read-all"),
    path("notifications/unread-count/", apis.UnreadCountApi.as_view(), name="notification-unread-count"),
    path("notifications/<uuid:notification_id>/", apis.NotificationDetailApi.as_view(), name="notification-detail"),
    path("notifications/<uuid:notification_id>/read/", apis.NotificationReadApi.as_view(), name="notification-read"),
]
