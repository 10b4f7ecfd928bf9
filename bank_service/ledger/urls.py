from django.urls import path

from ledger import apis
from ledger.models import Account

urlpatterns = [
    path("accounts/", apis.AccountListCreateApi.as_view(), name="account-list"),
    path("accounts/<uuid:account_id>/", apis.AccountDetailApi.as_view(), name="account-detail"),
    path("accounts/<uuid:account_id>/transactions/", apis.AccountStatementApi.as_view(), name="account-statement"),
    path(
        "accounts/<uuid:account_id>/freeze/",
        apis.AccountStatusApi.as_view(target_status=Account.Status.FROZEN),
        name="account-freeze",
    ),
    path(
        "accounts/<uuid:account_id>/unfreeze/",
        apis.AccountStatusApi.as_view(target_status=Account.Status.ACTIVE),
        name="account-unfreeze",
    ),
    path(
        "accounts/<uuid:account_id>/close/",
        apis.AccountStatusApi.as_view(target_status=Account.Status.CLOSED),
        name="account-close",
    ),
    path("transfers/", apis.TransferCreateApi.as_view(), name="transfer-create"),
    path("deposits/", apis.DepositCreateApi.as_view(), name="deposit-create"),
    path("withdrawals/", apis.WithdrawalCreateApi.as_view(), name="withdrawal-create"),
    path(
        "transactions/<uuid:transaction_id>/reverse/",
        apis.TransactionReverseApi.as_view(),
        name="transaction-reverse",
    ),
]
