"""The catalog's domain errors, each with a stable code."""

from rest_framework import status

from servicekit.errors import ApplicationError


class UnknownProducts(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "unknown_products"
    default_detail = "Some products do not exist or are not for sale."


class InsufficientStock(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "insufficient_stock"
    default_detail = "Not enough stock for some products."


class MixedCurrencies(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "mixed_currencies"
    default_detail = "All products of one order must be priced in the same currency."


class ReservationMismatch(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "reservation_mismatch"
    default_detail = "This order already holds a reservation with other lines."


class ReservationNotHeld(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "reservation_not_held"
    default_detail = "The reservation was released or has expired; its stock is no longer held."


class CategoryInUse(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "category_in_use"
    default_detail = "The category still has products or subcategories."


class CategoryCycle(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "category_cycle"
    default_detail = "A category cannot sit under itself or one of its own subcategories."
