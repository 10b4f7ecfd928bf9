"""Check the books: every transaction sums to zero, every balance is the sum of its postings."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

CHECKS = {
    "transactions that do not sum to zero or have fewer than two postings": """
        SELECT t.id FROM ledger_transaction t LEFT JOIN ledger_posting p ON p.transaction_id = t.id
        GROUP BY t.id HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.id) < 2
    """,
    "accounts whose balance is not the sum of their postings": """
        SELECT a.id FROM ledger_account a LEFT JOIN ledger_posting p ON p.account_id = a.id
        GROUP BY a.id HAVING a.balance <> COALESCE(SUM(p.amount), 0)
    """,
    "transactions that mix currencies": """
        SELECT p.transaction_id FROM ledger_posting p JOIN ledger_account a ON a.id = p.account_id
        GROUP BY p.transaction_id HAVING COUNT(DISTINCT a.currency) > 1
    """,
    "customer accounts below zero": "SELECT id FROM ledger_account WHERE kind = 'customer' AND balance < 0",
    "postings whose running balance is wrong": """
        SELECT id FROM (
            SELECT p.id, p.balance_after,
                   SUM(p.amount) OVER (PARTITION BY p.account_id ORDER BY p.id) AS running
            FROM ledger_posting p
        ) lines WHERE balance_after <> running
    """,
}


class Command(BaseCommand):
    help = "Verify the ledger; exits non-zero and lists the offending rows if anything is wrong."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = 0
        with connection.cursor() as cursor:
            for description, query in CHECKS.items():
                cursor.execute(query)
                rows = [str(row[0]) for row in cursor.fetchall()]
                if rows:
                    problems += len(rows)
                    self.stderr.write(f"{len(rows)} {description}: {', '.join(rows[:20])}")
            cursor.execute("SELECT COUNT(*) FROM ledger_transaction")
            transactions = cursor.fetchone()[0]
        if problems:
            raise CommandError(f"ledger verification failed: {problems} problem(s)")
        self.stdout.write(f"ledger ok: {transactions} transaction(s) checked")
