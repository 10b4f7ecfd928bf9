"""Wake a sleeping relay when an event is committed to the outbox (PostgreSQL LISTEN/NOTIFY).

A relay with nothing to publish puts its session's pid in `servicekit_outbox_listener` and LISTENs
on `servicekit_outbox`. A deferred trigger checks that table when a transaction that wrote to the
outbox commits, and NOTIFYs only while some relay sleeps: a NOTIFY takes a cluster-wide lock for
the rest of its commit, so busy producers (whose relay is awake and polling) never take it. The
trigger runs inside the producer's own commit: no round trip is added to the request.
"""

from django.db import migrations

CREATE = """
CREATE UNLOGGED TABLE servicekit_outbox_listener (pid integer PRIMARY KEY);

CREATE FUNCTION servicekit_outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM servicekit_outbox_listener) THEN
        PERFORM pg_notify('servicekit_outbox', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER servicekit_outbox_wake AFTER INSERT ON servicekit_outboxevent
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION servicekit_outbox_wake();
"""

DROP = """
DROP TRIGGER IF EXISTS servicekit_outbox_wake ON servicekit_outboxevent;
DROP FUNCTION IF EXISTS servicekit_outbox_wake();
DROP TABLE IF EXISTS servicekit_outbox_listener;
"""


class Migration(migrations.Migration):
    dependencies = [("servicekit", "0003_idempotencykey_claimed_by")]

    operations = [migrations.RunSQL(CREATE, DROP)]
