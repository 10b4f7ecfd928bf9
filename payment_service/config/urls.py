from servicekit.urls import handler400, handler403, handler404, handler500, service_urlpatterns  # noqa: F401

urlpatterns = service_urlpatterns(api="payments.urls", internal="payments.internal_urls")
