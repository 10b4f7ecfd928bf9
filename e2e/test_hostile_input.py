"""Generated hostile input against every operation of every service, through the gateway (Schemathesis).

Each service's OpenAPI document, as the gateway serves it, drives the requests, sent once with a
customer's token and once with staff's (the demo admin): per operation, the document's examples,
the coverage phase's boundary and invalid values and a few random cases, valid and invalid; then
stateful scenarios that chain operations by the links Schemathesis infers from the document (an
id one response returns becomes the next request's path or body). Real ids made beforehand (an
account with money, the catalog's products, an order, a payment) are mixed into the generated
values, so requests reach past "not found" into the services' logic.

Then every operation that takes a body gets one over the service's size limit and one over the
gateway's. Every response is held to the document: no 5xx, only documented status codes, the
documented content type, and a body that matches the documented schema. Violations are collected,
not stopped at, so one run reports them all; the last test fails if there is any, and prints the
figures (also in pytest's closing summary).

Fuzzing as staff freezes accounts and edits the catalog, so the suite runs on a stack of its own
(databases suffixed `_hostile`), never the stack the other end-to-end tests share. It is
deterministic (derandomized, fixed seed) and bounded: a few examples per operation and short
scenarios, no shrinking.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import requests
import schemathesis
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok

from stack.client import ShopClient
from stack.launch import LaunchedStack, launched_stack
from stack.services import SERVICES

pytestmark = pytest.mark.hostile

ADMIN_EMAIL = "hostile-admin@example.com"
ADMIN_PASSWORD = "hostile-admin-password-1"
PASSWORD = "a-long-hostile-passphrase"
ROLES = ("customer", "staff")

# Bounds: the whole file (its own stack included) stays within about three minutes on two cores.
SEED = 20260415
MAX_EXAMPLES = 6  # random cases per operation, on top of its examples and coverage cases
STATEFUL_SCENARIOS = 12  # per service and role
STATEFUL_STEPS = 6
TOKEN_MAX_AGE = 240  # access tokens live 300 s; renew well before

# What the checks hold every response to (Schemathesis' names).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)

# The gateway refuses bodies over GATEWAY_MAX_BODY_SIZE; a service those over DATA_UPLOAD_MAX_MEMORY_SIZE
# (lower here, so that both refusals can be reached).
GATEWAY_BODY_LIMIT = 1024 * 1024
SERVICE_BODY_LIMIT = 256 * 1024

ENVIRONMENT = {
    "DEMO_ADMIN_EMAIL": ADMIN_EMAIL,
    "DEMO_ADMIN_PASSWORD": ADMIN_PASSWORD,
    "EMAIL_URL": "filemail://",
    "GUNICORN_WORKERS": "1",
    "GUNICORN_THREADS": "4",
    # The fuzzer signs in and registers as fast as the stack answers (launched_stack lifts the read
    # and write limits already); the rate limits have tests of their own.
    "GATEWAY_AUTH_RATE": "1000r/s",
    "GATEWAY_AUTH_BURST": "1000",
    # Fuzzing the password change as staff sends wrong old passwords by the hundred, which would
    # lock the demo admin out of the fuzzer's own address; the lockout has tests of its own.
    "LOGIN_FAILURE_LIMIT": "1000000",
    "GATEWAY_MAX_BODY_SIZE": str(GATEWAY_BODY_LIMIT),
    "DATA_UPLOAD_MAX_MEMORY_SIZE": str(SERVICE_BODY_LIMIT),
}


# --- The stack, its callers and the data the fuzzer starts from ------------------------------------


@pytest.fixture(scope="module")
def hostile_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaunchedStack]:
    environment = {**ENVIRONMENT, "EMAIL_FILE_PATH": str(tmp_path_factory.mktemp("hostile-mail"))}
    with launched_stack(
        tmp_path_factory.mktemp("hostile-stack"), db_suffix="_hostile", environment=environment
    ) as running:
        yield running


@dataclass
class Caller:
    """A signed-in user whose access token is renewed before it expires."""

    stack: LaunchedStack
    role: str
    email: str = ""
    user_id: str = ""
    _token: str = ""
    _issued: float = 0.0

    def token(self) -> str:
        if time.monotonic() - self._issued > TOKEN_MAX_AGE:
            self._sign_in()
        return self._token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def _sign_in(self) -> None:
        client = ShopClient(self.stack.url)
        if self.role == "staff":
            self._token = client.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)["access"]
        else:
            # A fresh customer each time: fuzzing as staff may have deactivated the previous one.
            # Verified, as an administrator may mark it: moving money needs it, and the fuzzer pays.
            admin = client.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)["access"]
            self.email, self.user_id, self._token = client.verified_user(
                staff_token=admin, label="hostile", password=PASSWORD
            )
        self._issued = time.monotonic()


@pytest.fixture(scope="module")
def callers(hostile_stack: LaunchedStack) -> dict[str, Caller]:
    return {role: Caller(hostile_stack, role) for role in ROLES}


def _json(response: requests.Response, status: int) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.text}"
    return response.json()


@pytest.fixture(scope="module")
def seeds(hostile_stack: LaunchedStack, callers: dict[str, Caller]) -> dict[str, list[str]]:
    """Real ids, made through the gateway, for the fuzzer to mix into what it generates."""
    url = hostile_stack.url
    customer, staff = callers["customer"].headers(), callers["staff"].headers()
    with requests.Session() as http:

        def key() -> dict[str, str]:
            return {"Idempotency-Key": str(uuid.uuid4())}

        accounts = [
            _json(http.post(f"{url}/bank/api/accounts/", json={"currency": "EUR"}, headers=customer, timeout=30), 201)[
                "id"
            ]
            for _ in range(2)
        ]
        _json(
            http.post(
                f"{url}/bank/api/deposits/",
                json={"account_id": accounts[0], "amount": 5_000_000},
                headers={**staff, **key()},
                timeout=30,
            ),
            201,
        )
        transactions = [
            line["transaction_id"]
            for line in _json(http.get(f"{url}/bank/api/accounts/{accounts[0]}/transactions/", headers=customer), 200)[
                "results"
            ]
        ]
        products = _json(http.get(f"{url}/catalog/api/products/?page_size=100&in_stock=true&currency=EUR"), 200)
        product_ids = [product["id"] for product in products["results"]]
        assert product_ids, "the demo catalog has no product in stock"
        categories = [category["id"] for category in _json(http.get(f"{url}/catalog/api/categories/"), 200)["results"]]
        orders = []
        for product in product_ids[:2]:
            order = _json(
                http.post(
                    f"{url}/orders/api/orders/",
                    json={"items": [{"product_id": product, "quantity": 1}]},
                    headers={**customer, **key()},
                    timeout=30,
                ),
                201,
            )
            orders.append(order["id"])
        paid = _json(
            http.post(
                f"{url}/orders/api/orders/{orders[0]}/pay/",
                json={"account_id": accounts[0]},
                headers={**customer, **key()},
                timeout=60,
            ),
            200,
        )
        assert paid["status"] == "paid", paid
        payments = [paid["payment"]["payment_id"]]
    return {
        "account": accounts,
        "transaction": transactions,
        "product": product_ids[:10],
        "category": categories[:10] or [str(uuid.uuid4())],
        "order": orders,
        "payment": payments,
        "user": [callers["customer"].user_id],
    }


def _parameters(seeds: dict[str, list[str]]) -> dict[str, Any]:
    """Where the real ids go: path parameters and body fields, each half of the time."""
    bindings = {
        "account": ("path.account_id", "body.account_id", "body.source_account_id", "body.target_account_id"),
        "transaction": ("path.transaction_id",),
        "product": ("path.product_id", "body.items[*].product_id"),
        "category": ("path.category_id", "body.category_id", "body.parent_id", "query.category"),
        "order": ("path.order_id", "query.order_id"),
        "payment": ("path.payment_id",),
        "user": ("path.user_id", "query.user_id", "query.owner_id"),
    }
    return {
        target: {"dictionary": name, "probability": 0.5}
        for name, targets in bindings.items()
        if name in seeds
        for target in targets
    }


def _config(stack: LaunchedStack, caller: Caller, seeds: dict[str, list[str]]) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": stack.url,
            "headers": caller.headers(),
            "request-timeout": 60,
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "no-shrink": True,
                "database": "none",
                # The caller's real token always: forged ones are test_jwt_attacks' business.
                "with-security-parameters": False,
            },
            "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "dictionaries": {name: {"values": values} for name, values in seeds.items()},
            "parameters": _parameters(seeds),
            "suppress-health-check": ["all"],
        }
    )


# Error codes that can only be about the Authorization header (a bad token in a body is `token_not_valid`).
TOKEN_REFUSED = {"not_authenticated", "token_expired", "user_not_found"}


def _code(response: schemathesis.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


# --- The figures ---------------------------------------------------------------------------------


@dataclass
class Figures:
    """What the run sent and what it found, counted as it goes."""

    started: float = field(default_factory=time.monotonic)
    operations: set[str] = field(default_factory=set)
    tested: set[tuple[str, str]] = field(default_factory=set)  # (role, operation)
    requests: int = 0
    scenarios: int = 0
    diverged: int = 0  # stateful runs that ended early on a replay the live API answered differently
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    violations: int = 0
    # A 401 where the document requires a token means the caller's token was lost: only the anonymous
    # path would have been tested.
    refused_tokens: set[tuple[str, str]] = field(default_factory=set)
    # One entry per distinct (role, operation, problem), with a way to reproduce it.
    findings: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def record(self, role: str, case: schemathesis.Case, response: schemathesis.Response) -> None:
        self.requests += 1
        self.tested.add((role, case.operation.label))
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.server_errors += 1
        if response.status_code == 401 and _code(response) in TOKEN_REFUSED:
            self.refused_tokens.add((role, case.operation.label))
        try:
            case.validate_response(response)
        except FailureGroup as group:
            self._found(role, case, list(group.exceptions))
        except Failure as failure:
            self._found(role, case, [failure])

    def _found(self, role: str, case: schemathesis.Case, failures: list[Failure]) -> None:
        for failure in failures:
            if failure.code != "ST101":  # a 5xx is counted as such above, not as a schema violation
                self.violations += 1
            problem = f"{failure.title}: {failure.message.splitlines()[0] if failure.message else ''}"
            self.findings.setdefault((role, case.operation.label, problem), case.as_curl_command()[:500])

    def line(self) -> str:
        roles = sorted({role for role, _ in self.tested})
        return (
            f"Hostile input: {len(self.operations)} operations, {self.requests} requests, {self.server_errors} 5xx, "
            f"{self.violations} schema violations ({len(self.tested)} operation-role pairs: {', '.join(roles)}; "
            f"{self.scenarios} stateful scenarios, {self.diverged} runs cut short; "
            f"{time.monotonic() - self.started:.0f} s)"
        )


class _Summary:
    """Repeats the figures in pytest's terminal summary, where they show without -s too."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_line(self.figures.line())


@pytest.fixture(scope="module")
def figures(request: pytest.FixtureRequest) -> Figures:
    counted = Figures()
    request.config.pluginmanager.register(_Summary(counted), "hostile-input-figures")
    return counted


# --- The tests -----------------------------------------------------------------------------------

PAIRS = [(service.name, role) for role in ROLES for service in SERVICES]


# Module-scoped, so pytest runs every test of one pair before the next pair: all the customer's,
# then staff's (whose fuzzing may deactivate that customer).
@pytest.fixture(scope="module", params=PAIRS, ids=[f"{name}-{role}" for name, role in PAIRS])
def pair(request: pytest.FixtureRequest) -> tuple[str, str]:
    """A service and the role its requests are sent as."""
    return request.param


@pytest.fixture(scope="module")
def hostile_schema(
    pair: tuple[str, str],
    hostile_stack: LaunchedStack,
    callers: dict[str, Caller],
    seeds: dict[str, list[str]],
    figures: Figures,
) -> schemathesis.BaseSchema:
    name, role = pair
    schema = schemathesis.openapi.from_url(
        f"{hostile_stack.url}/{name}/api/schema/?format=json",
        config=_config(hostile_stack, callers[role], seeds),
        timeout=30,
    )
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            figures.operations.add(result.ok().label)
    return schema


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


hostile = schemathesis.pytest.from_fixture("hostile_schema")


def _fresh_idempotency_key(case: schemathesis.Case) -> None:
    """A valid case gets a key of its own, so that it reaches the operation instead of an earlier
    case's stored answer (422: the same key with another body); invalid cases keep the generated one."""
    positive = case.meta is not None and case.meta.generation.mode == schemathesis.GenerationMode.POSITIVE
    if positive and case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())


@hostile.parametrize()
def test_each_operation_with_generated_input(
    case: schemathesis.Case, pair: tuple[str, str], figures: Figures, http: requests.Session
) -> None:
    _fresh_idempotency_key(case)
    figures.record(pair[1], case, case.call(session=http))


def test_stateful_scenarios_through_inferred_links(
    hostile_schema: schemathesis.BaseSchema, pair: tuple[str, str], figures: Figures, http: requests.Session
) -> None:
    role = pair[1]

    class Scenarios(hostile_schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            figures.scenarios += 1

        def before_call(self, case: schemathesis.Case) -> None:
            _fresh_idempotency_key(case)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"session": http}

        def validate_response(
            self, response: schemathesis.Response, case: schemathesis.Case, *args: Any, **kwargs: Any
        ) -> None:
            figures.record(role, case, response)

    settings = hypothesis.settings(
        max_examples=STATEFUL_SCENARIOS,
        stateful_step_count=STATEFUL_STEPS,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    try:
        Scenarios.run(settings=settings)
    except hypothesis.errors.FlakyStrategyDefinition:
        # Hypothesis builds new scenarios from the choices of earlier ones; against a live API whose
        # state has moved on, a replayed prefix can get other answers and draw differently. That ends
        # this run early (the figures count it); every response it got was checked as it came.
        figures.diverged += 1


def test_oversized_bodies_are_refused_as_documented(
    hostile_stack: LaunchedStack, figures: Figures, http: requests.Session
) -> None:
    """Every operation that takes a body, sent one over the service's limit and one over the gateway's."""
    customer = Caller(hostile_stack, "customer")  # a new one: fuzzing as staff may have deactivated the first
    sizes = (SERVICE_BODY_LIMIT + 1024, GATEWAY_BODY_LIMIT + 1024)
    for service in SERVICES:
        schema = schemathesis.openapi.from_url(
            f"{hostile_stack.url}/{service.name}/api/schema/?format=json",
            config=_config(hostile_stack, customer, {}),
            timeout=30,
        )
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), result
            operation = result.ok()
            if not operation.body:
                continue
            for size in sizes:
                case = operation.Case(
                    path_parameters={parameter.name: str(uuid.uuid4()) for parameter in operation.path_parameters},
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                    body={"padding": "x" * size},
                    media_type="application/json",
                )
                figures.record("customer", case, case.call(session=http, headers=customer.headers()))


def test_no_5xx_and_no_schema_violations(figures: Figures) -> None:
    print(f"\n{figures.line()}")
    print("Statuses: " + ", ".join(f"{status}: {count}" for status, count in sorted(figures.statuses.items())))
    assert figures.requests, "nothing was sent: run the whole file"
    untested = {(role, label) for role in ROLES for label in figures.operations} - figures.tested
    assert not untested, f"operations never called: {sorted(untested)}"
    assert not figures.refused_tokens, f"the caller's token was refused: {sorted(figures.refused_tokens)}"
    report = [f"{role} {label}: {problem}\n    {curl}" for (role, label, problem), curl in figures.findings.items()]
    assert not figures.server_errors and not figures.violations, "\n".join(report)
