"""The machinery of the load and fault tests (e2e/test_load_and_faults.py), by concern.

- `plan`: the shape of the load (customers, clients, workers, phases);
- `recording`: every attempt of every client, the phases and the faults' windows;
- `clients`: a shop client that retries as real ones do, recording each attempt;
- `traffic`: the shop opened for the load, and the transfer and checkout clients in their threads;
- `faults`: what is done to the stack (workers killed, PostgreSQL restarted, the broker cut);
- `invariants`: what the databases must hold afterwards;
- `report`: the figures of a run in one summary block.
"""
