"""The bank's domain errors, each with a stable code."""

from rest_framework import status

from servicekit.errors import ApplicationError


class InsufficientFunds(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "insufficient_funds"
    default_detail = "The account's balance is too low for this amount."


class AccountNotActive(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "account_not_active"
    default_detail = "The account is frozen or closed."


class CurrencyMismatch(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "currency_mismatch"
    default_detail = "Both accounts must hold the same currency."


class SameAccount(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "same_account"
    default_detail = "The source and target accounts must differ."


class AccountNotEmpty(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "account_not_empty"
    default_detail = "Only an empty account can be closed."


class AlreadyReversed(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "already_reversed"
    default_detail = "This transaction is a reversal or has already been reversed."
