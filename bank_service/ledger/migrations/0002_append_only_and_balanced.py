"""The database itself refuses an unbalanced transaction and any edit of posted rows."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION ledger_transaction_balances() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT COALESCE(SUM(amount), 0) FROM ledger_posting WHERE transaction_id = NEW.transaction_id) <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not sum to zero', NEW.transaction_id;
    END IF;
    IF (SELECT COUNT(*) FROM ledger_posting WHERE transaction_id = NEW.transaction_id) < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has fewer than two postings', NEW.transaction_id;
    END IF;
    RETURN NULL;
END $$;

-- Checked at commit, when every posting of the transaction is in.
CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balances();

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger % rows are append-only: post a reversing transaction instead', TG_TABLE_NAME;
END $$;

CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
"""

BACKWARD = """
DROP TRIGGER ledger_transaction_append_only ON ledger_transaction;
DROP TRIGGER ledger_posting_append_only ON ledger_posting;
DROP FUNCTION ledger_append_only();
DROP TRIGGER ledger_posting_balanced ON ledger_posting;
DROP FUNCTION ledger_transaction_balances();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
