"""One concurrent collector for every type in ``specs.SPECS``.

Order of work: region subscriptions and compartments (home region) first, then in parallel per
region: the availability domains; Search's own list of types (``list_resource_types``); one
paged Resource Search per type, whose results are fetched with targeted GETs; the list calls per
compartment for the types Search does not offer (and per availability domain where the API
wants one). In the home region: the IAM lists (users with their API keys, auth tokens, customer
secret keys and group memberships; groups; dynamic groups; policies of the audited compartments,
the root and the root's ancestors) and the Cloud Guard configuration. Keys are listed through
each vault's management endpoint once the vaults are known.

Every call goes through ocisec's bounded retry (the SDK's retry strategy with a cap on attempts
and time; ``retry-after`` honoured, capped) and no circuit breaker (the SDK's default breaker
opens after ten failures, 429s included, and then fails unrelated calls of the same client). A
call that still fails is recorded (operation, region, compartment, status) in the snapshot's
``errors`` and its type leaves ``collected``: an audit is never silently partial. A 404 on an
object Search has just listed means the caller may ``inspect`` but not ``read`` it: the error
names the missing permission and the object stays in the snapshot as *unreadable*, so every rule
about it is unknown. Only read calls are made (GET, and the search POST).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from scanner import __version__
from scanner.sources.oci.auth import OciSession
from scanner.sources.oci.snapshot import CollectionError, InventorySnapshot, SnapshotResource
from scanner.sources.oci.specs import SPECS, ResourceSpec

# Oracle creates this compartment for PaaS services it manages; customers cannot change what is
# in it, so it is skipped (and the skip is said in the snapshot).
MANAGED_PAAS_COMPARTMENT = "ManagedCompartmentForPaaS"
MIN_SDK = "2.160.0"


class SdkTooOld(RuntimeError):
    """The installed ``oci`` SDK lacks model attributes the rules read."""


def check_sdk_fields(specs: tuple[ResourceSpec, ...] = SPECS) -> None:
    """Fail with a clear message when the installed SDK's models lack a field some rule reads:
    the SDK's deserializer drops fields its model does not know, so an old SDK would make every
    secret fail the rotation rules instead of reporting an error.

    The models' generated source is read rather than imported: importing every service's models
    would cost the audit's main process some 80 MB it never uses (its workers import what they
    call)."""
    import re
    from pathlib import Path

    import oci

    base = Path(oci.__file__).parent
    missing = []
    for spec in specs:
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", spec.model).lower()
        source = base / spec.module.replace(".", "/") / "models" / f"{snake}.py"
        try:
            text = source.read_text(encoding="utf-8")
        except OSError:
            missing.append(f"{spec.type} (no such model)")
            continue
        declared = set(re.findall(r"^\s*'(\w+)': '", text.split("self.attribute_map", 1)[0], re.M))
        missing += [f"{spec.type}.{f}" for f in spec.fields if f not in declared]
    if missing:
        raise SdkTooOld(
            f"the installed oci SDK {oci.__version__} does not know {', '.join(missing)}; "
            f"install oci>={MIN_SDK} (pip install 'oci>={MIN_SDK}')"
        )


# Fields never written to a snapshot: credentials the API may echo (a new auth token's value).
SECRET_FIELDS = {"token", "key", "private_key", "passphrase", "admin_password"}
GONE = {"DELETED", "TERMINATED"}
NOT_FOUND = object()  # a 404 the caller explains (see Collector._call)


def retry_strategy(
    max_attempts: int = 6,
    base_sleep: float = 0.5,
    max_wait: float = 8.0,
    max_elapsed: float = 120.0,
    on_retry: Callable[[Any], None] | None = None,
) -> Any:
    """The SDK's retry strategy with bounds: ``max_attempts`` tries, at most ``max_elapsed``
    seconds, sleeps growing from ``base_sleep`` up to ``max_wait``; a ``retry-after`` header is
    obeyed up to ``max_wait``. ``on_retry`` is told of each retry (progress counts)."""
    import oci

    strategy = oci.retry.RetryStrategyBuilder(
        max_attempts_check=True,
        max_attempts=max_attempts,
        total_elapsed_time_check=True,
        total_elapsed_time_seconds=max_elapsed,
        service_error_check=True,
        service_error_retry_on_any_5xx=True,
        retry_base_sleep_time_seconds=base_sleep,
        retry_max_wait_between_calls_seconds=max_wait,
        backoff_type=oci.retry.BACKOFF_FULL_JITTER_EQUAL_ON_THROTTLE_VALUE,
    ).get_retry_strategy()
    default_sleep = strategy.do_sleep

    def do_sleep(attempt: int, exception: Any) -> None:
        if on_retry is not None:
            on_retry(exception)
        headers = getattr(exception, "headers", None) or {}
        after = _seconds(headers.get("retry-after") or headers.get("Retry-After"))
        if after is not None:
            time.sleep(min(after, max_wait))
        else:
            default_sleep(attempt, exception)

    # The SDK has no hook for retry-after or for counting; wrap this one instance's sleep.
    strategy.do_sleep = do_sleep
    return strategy


def _seconds(value: Any) -> float | None:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def clean(value: Any, top: bool = True) -> Any:
    """``to_dict`` output without nulls (absent and null mean the same to the rules, and the
    snapshot stays small) and without the model's secret fields (only at the top level: a tag
    named ``key`` is data)."""
    if isinstance(value, dict):
        return {
            k: clean(v, False) for k, v in value.items() if v is not None and not (top and k in SECRET_FIELDS)
        }
    if isinstance(value, list):
        return [clean(v, False) for v in value]
    return value


class Progress:
    """Calls, retries and errors per region; drawn with rich only when asked (a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.calls: dict[str, int] = defaultdict(int)
        self.retries: dict[str, int] = defaultdict(int)
        self.errors: dict[str, int] = defaultdict(int)
        self.services: dict[str, set[str]] = defaultdict(set)
        self._lock = threading.Lock()
        self._live: Any = None
        self._tasks: dict[str, Any] = {}
        if enabled:
            from rich.console import Console
            from rich.progress import Progress as RichProgress
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self._live = RichProgress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            self._live.start()

    def note(
        self, region: str, service: str, *, call: bool = False, retry: bool = False, error: bool = False
    ) -> None:
        """Count one event for ``region``."""
        with self._lock:
            self.calls[region] += call
            self.retries[region] += retry
            self.errors[region] += error
            if service:
                self.services[region].add(service)
            if self._live is not None:
                text = (
                    f"{region:<16} {len(self.services[region]):>2} services  {self.calls[region]:>6} calls  "
                    f"{self.retries[region]:>4} retries  {self.errors[region]:>3} errors"
                )
                if region not in self._tasks:
                    self._tasks[region] = self._live.add_task(text, total=None)
                self._live.update(self._tasks[region], description=text)

    def stop(self) -> None:
        """Remove the bar."""
        if self._live is not None:
            self._live.stop()


class Collector:
    """Collects an ``InventorySnapshot`` with bounded concurrency (``concurrency`` calls in
    flight across all regions and compartments)."""

    def __init__(
        self,
        session: OciSession,
        regions: list[str] | None = None,
        compartment_id: str | None = None,
        concurrency: int = 16,
        progress: bool = False,
        specs: tuple[ResourceSpec, ...] = SPECS,
        retry: dict[str, float] | None = None,
        clock: Callable[[], datetime] | None = None,
        processes: int = 1,
        session_spec: dict[str, Any] | None = None,
    ) -> None:
        self.session = session
        # The time ages are measured against; tests fix it to replay a known day.
        self.clock = clock or (lambda: datetime.now(UTC))
        self.wanted_regions = regions
        self.tenancy_id = session.tenancy_id
        self.root_compartment = compartment_id or session.tenancy_id
        self.concurrency = max(1, concurrency)
        self.specs = specs
        self.progress = Progress(progress)
        self._idle_clients: dict[Any, list[Any]] = {}
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._pool: ThreadPoolExecutor | None = None
        self.resources: list[SnapshotResource] = []
        self.errors: list[CollectionError] = []
        self.failed_types: set[str] = set()
        self.attempted_types: set[str] = set()
        self.availability_domains: dict[str, list[str]] = {}
        self.compartments: set[str] = {self.root_compartment}
        self.compartments_known = True  # False: accept every compartment (tree not readable)
        # Names and parents of every compartment of the tenancy (for messages and policy paths).
        self.compartment_names: dict[str, str] = {}
        self.compartment_parents: dict[str, str | None] = {self.tenancy_id: None}
        self.ancestors: list[str] = []  # the audited root's ancestors (their policies apply too)
        self._followed: set[tuple[str, str, str, str | None]] = set()
        self.key_compartments: dict[str, set[str]] = defaultdict(set)
        self._offered: dict[str, set[str] | None] = {}  # per region: Search's types (None: unknown)
        self.call_count = 0
        # Regions may be collected by worker processes (the SDK's CPU per call is bound by one
        # core's GIL); they rebuild the session from ``session_spec`` (make_session's arguments).
        self.processes = processes if session_spec is not None else 1
        self.session_spec = session_spec
        self._retry_kwargs = dict(retry or {})
        check_sdk_fields(specs)
        session.retry = retry_strategy(on_retry=self._on_retry, **(retry or {}))
        self._retry_region = threading.local()

    # --- plumbing ------------------------------------------------------------------------
    def _checkout(self, class_path: str, region: str, endpoint: str | None = None) -> tuple[Any, Any]:
        """A client used by one call at a time: taken from the idle ones of its (class, region,
        endpoint), else made. SDK clients are not documented as thread-safe, and making one
        costs milliseconds, so they are pooled rather than made per thread or per call."""
        key = (class_path, region, endpoint)
        with self._lock:
            idle = self._idle_clients.get(key)
            if idle:
                return key, idle.pop()
        return key, self.session.client(class_path, region, endpoint)

    def _checkin(self, key: Any, client: Any) -> None:
        with self._lock:
            self._idle_clients.setdefault(key, []).append(client)

    def _on_retry(self, exception: Any) -> None:
        region = getattr(self._retry_region, "region", "?")
        self.progress.note(region, None, retry=True)

    def _spawn(self, fn: Callable[..., None], *args: Any) -> None:
        with self._lock:
            self._pending += 1
        assert self._pool is not None
        self._pool.submit(self._run, fn, args)

    def _run(self, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - a bug in one task must not hang the collection
            self._record("internal", "", None, None, f"{type(exc).__name__}: {exc}", None)
        finally:
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self._idle.notify_all()

    def _wait(self) -> None:
        with self._lock:
            while self._pending:
                self._idle.wait()

    def _record(
        self,
        operation: str,
        region: str,
        compartment: str | None,
        status: int | None,
        message: str,
        type_: str | None,
        level: str = "error",
    ) -> None:
        with self._lock:
            self.errors.append(CollectionError(operation, region, compartment, status, message, level))
            if type_ and level == "error":
                self.failed_types.add(type_)
        if level == "error":
            self.progress.note(region or "-", None, error=True)

    def _needed(self, spec_type: str | None, operation: str, compartment: str | None) -> str:
        """What a 404 most likely lacks (OCI answers 404 for "not allowed" too), as a statement."""
        spec = next((s for s in self.specs if s.type == spec_type), None)
        if spec is None or not spec.iam:
            return ""
        verb = "inspect" if operation.startswith(("list_", "search_")) else "read"
        return f"; if it exists, the policy needs: {verb} {spec.iam} in {self.location(compartment)}"

    def location(self, compartment: str | None) -> str:
        """How a policy statement names ``compartment``: ``tenancy`` or ``compartment a:b``."""
        if compartment in (None, self.tenancy_id):
            return "tenancy"
        names: list[str] = []
        node: str | None = compartment
        seen: set[str] = set()
        while node and node != self.tenancy_id and node not in seen:
            seen.add(node)
            if node not in self.compartment_names:
                return f"compartment id {compartment}"
            names.append(self.compartment_names[node])
            node = self.compartment_parents.get(node)
        return "compartment " + ":".join(reversed(names))

    def _call(
        self,
        spec_type: str | None,
        class_path: str,
        operation: str,
        region: str,
        compartment: str | None,
        endpoint: str | None = None,
        allow_missing: bool = False,
        level: str = "error",
        **kwargs: Any,
    ) -> Any:
        """One API call (all pages for list calls); None after a recorded failure. With
        ``allow_missing`` a 404 is not recorded here and ``NOT_FOUND`` is returned: the caller
        knows which permission the call needed and says so."""
        key, client = self._checkout(class_path, region, endpoint)
        try:
            return self._pages(
                client, spec_type, class_path, operation, region, compartment, allow_missing, kwargs, level
            )
        finally:
            self._checkin(key, client)

    def _pages(
        self,
        client: Any,
        spec_type: str | None,
        class_path: str,
        operation: str,
        region: str,
        compartment: str | None,
        allow_missing: bool,
        kwargs: dict[str, Any],
        level: str = "error",
    ) -> Any:
        import oci

        method = getattr(client, operation)
        op_name = "".join(part.capitalize() for part in operation.split("_"))
        self._retry_region.region = region
        items: list[Any] = []
        page = None
        while True:
            try:
                response = method(**kwargs, page=page) if page else method(**kwargs)
            except oci.exceptions.ServiceError as exc:
                if allow_missing and exc.status == 404:
                    return NOT_FOUND
                message = f"{exc.code}: {exc.message}"
                if exc.status == 404:
                    message += self._needed(spec_type, operation, compartment)
                self._record(op_name, region, compartment, exc.status, message, spec_type, level)
                return None
            except Exception as exc:  # noqa: BLE001 - timeouts, connection errors after retries
                self._record(
                    op_name, region, compartment, None, f"{type(exc).__name__}: {exc}"[:300], spec_type, level
                )
                return None
            finally:
                with self._lock:
                    self.call_count += 1
                self.progress.note(region, class_path.split(".")[0], call=True)
            data = response.data
            if not isinstance(data, list) and not hasattr(data, "items"):
                return data
            items.extend(data if isinstance(data, list) else (data.items or []))
            page = response.headers.get("opc-next-page")
            if not page:
                return items

    def _add(
        self,
        spec: ResourceSpec,
        region: str,
        model: Any,
        related: dict[str, list[Any]] | None = None,
        compartment: str | None = None,
    ) -> None:
        import oci

        data = clean(oci.util.to_dict(model))
        if str(data.get("lifecycle_state", "")).upper() in GONE:
            return
        if compartment and "compartment_id" not in data:
            # Models without a compartment (file-system exports): the one they were listed in.
            data["compartment_id"] = compartment
        res = SnapshotResource(spec.type, region, data, related or {})
        with self._lock:
            self.resources.append(res)

    def _unreadable(
        self, spec: ResourceSpec, region: str, operation: str, summary: Any, compartment: str | None = None
    ) -> None:
        """A 404 on an object that was just listed: the caller may ``inspect`` it (Search and the
        list call need no more) but not ``read`` it. Recorded as an error naming the permission;
        the object stays in the snapshot, marked unreadable, so its rules are unknown."""
        compartment = getattr(summary, "compartment_id", None) or compartment
        ident = getattr(summary, "identifier", None) or getattr(summary, "id", None)
        name = getattr(summary, "display_name", None) or getattr(summary, "name", None)
        need = f"read {spec.iam} in {self.location(compartment)}"
        self._record(
            operation,
            region,
            compartment,
            404,
            f"NotAuthorizedOrNotFound: {spec.type} {name or ident} was listed but cannot be read; "
            f"the policy needs: {need}",
            None,
        )
        data = {
            k: v for k, v in (("id", ident), ("compartment_id", compartment), ("display_name", name)) if v
        }
        res = SnapshotResource(
            spec.type, region, data, {}, unreadable=f"cannot be read: the policy needs {need}"
        )
        with self._lock:
            self.resources.append(res)

    # --- collection ----------------------------------------------------------------------
    def collect(self) -> InventorySnapshot:
        """Collect everything the specs describe and return the snapshot."""
        started = self.clock().astimezone(UTC).replace(microsecond=0)
        try:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="ocisec-collect") as pool:
                self._pool = pool
                home, regions = self._regions()
                self.home_region = home
                self._spawn(self._compartments_then_rest, home, regions)
                self._wait()
        finally:
            self._pool = None
            self.progress.stop()
        for spec in self.specs:  # what follows a type that failed is incomplete too
            if spec.follows and spec.follows in self.failed_types:
                self.failed_types.add(spec.type)
        collected = sorted(self.attempted_types - self.failed_types)
        self.resources.sort(
            key=lambda r: (r.type, r.region, str(r.data.get("id") or r.data.get("name") or ""))
        )
        return InventorySnapshot(
            tenancy_id=self.tenancy_id,
            home_region=home,
            collected_at=started,
            regions={r: {"availability_domains": self.availability_domains.get(r, [])} for r in regions},
            collected=collected,
            resources=self.resources,
            errors=sorted(self.errors, key=lambda e: (e.region, e.operation, e.compartment_id or "")),
            compartment_id=self.root_compartment,
            tool=f"ocisec {__version__}",
        )

    def _regions(self) -> tuple[str, list[str]]:
        subs = self._call(
            None,
            "identity.IdentityClient",
            "list_region_subscriptions",
            self.session.region,
            self.tenancy_id,
            tenancy_id=self.tenancy_id,
        )
        if subs is None:
            return self.session.region, list(self.wanted_regions or [self.session.region])
        ready = [s.region_name for s in subs if (s.status or "READY") == "READY"]
        home = next((s.region_name for s in subs if s.is_home_region), self.session.region)
        if self.wanted_regions:
            unknown = [r for r in self.wanted_regions if r not in ready]
            for r in unknown:
                self._record(
                    "ListRegionSubscriptions",
                    r,
                    self.tenancy_id,
                    None,
                    f"{r} is not a subscribed region",
                    None,
                )
            return home, [r for r in self.wanted_regions if r in ready]
        return home, sorted(ready)

    def _compartments_then_rest(self, home: str, regions: list[str]) -> None:
        spec = next((s for s in self.specs if s.type == "identity.Compartment"), None)
        if spec is not None:
            self.attempted_types.add(spec.type)
            items = self._call(
                spec.type,
                spec.client,
                "list_compartments",
                home,
                self.tenancy_id,
                compartment_id=self.tenancy_id,
                compartment_id_in_subtree=True,
                access_level="ACCESSIBLE",
            )
            if items is None:
                # Without the compartment tree the subtree cannot be told apart: the whole tenancy
                # is still right for a tenancy audit; a subtree audit keeps only its root.
                self.compartments_known = self.root_compartment == self.tenancy_id
            else:
                self._walk_compartments(spec, home, items)
        # With N processes, this one collects every Nth region itself and N-1 workers the rest:
        # it would otherwise sit idle holding its own copy of the SDK (some 100 MB a process).
        local = regions[:: self.processes] if self.processes > 1 and len(regions) > 1 else regions
        remote = [r for r in regions if r not in local]
        for region in regions:
            if region in remote:
                continue
            self._spawn(self._region, region)
        if remote:
            self._spawn(self._collect_in_processes, remote)
        for spec in self.specs:
            if spec.scope == "tenancy" and spec.type != "identity.Compartment":
                self.attempted_types.add(spec.type)
                self._spawn(self._list_tenancy, spec, home)
            elif spec.scope == "compartments":
                self.attempted_types.add(spec.type)
                # Policies of the root's ancestors apply to the audited subtree too.
                for compartment in sorted(self.compartments | {self.tenancy_id} | set(self.ancestors)):
                    self._spawn(self._list_compartment, spec, home, compartment)
            elif spec.scope == "singleton":
                self.attempted_types.add(spec.type)
                self._spawn(self._singleton, spec, home)
            elif spec.scope == "domains":
                from scanner.sources.oci.domains import collect_domains

                collect_domains(self, spec, home)

    def _walk_compartments(self, spec: ResourceSpec, home: str, items: list[Any]) -> None:
        children: dict[str, list[Any]] = defaultdict(list)
        for c in items:
            self.compartment_names[c.id] = c.name
            self.compartment_parents[c.id] = c.compartment_id
            if (c.lifecycle_state or "ACTIVE") == "ACTIVE":
                children[c.compartment_id].append(c)
        node = self.compartment_parents.get(self.root_compartment)
        while node is not None and node not in self.ancestors:
            self.ancestors.append(node)
            node = self.compartment_parents.get(node)
        stack = [self.root_compartment]
        while stack:
            for child in children.get(stack.pop(), []):
                if child.name == MANAGED_PAAS_COMPARTMENT and child.compartment_id == self.tenancy_id:
                    self._record(
                        "ListCompartments",
                        home,
                        child.id,
                        None,
                        f"skipped {MANAGED_PAAS_COMPARTMENT} (Oracle manages what it holds) and its subtree",
                        None,
                        level="note",
                    )
                    continue
                self.compartments.add(child.id)
                stack.append(child.id)
                self._add(spec, home, child)

    def _region(self, region: str) -> None:
        """Everything regional: availability domains, then Search per type and the list calls
        (some list calls need an availability domain)."""
        self._availability_domains(region)
        if any(s.scope in ("search", "vault") for s in self.specs):
            self._search_region(region)
        for spec in self.specs:
            if spec.scope != "regional":
                continue
            self.attempted_types.add(spec.type)
            if spec.follows:
                continue  # listed as the objects it follows are found (_follow)
            ads = self.availability_domains.get(region, []) if spec.per_ad else [None]
            if spec.per_ad and not ads:
                self._record(
                    spec.list_call or "", region, None, None, "no availability domain known", spec.type
                )
            offered = self._offered.get(region) or set()
            if spec.located_by and not spec.per_ad and spec.located_by.lower() in offered:
                self._spawn(self._locate_then_list, spec, region)
                continue
            for compartment in sorted(self.compartments):
                for ad in ads:
                    self._spawn(self._list_regional, spec, region, compartment, ad)

    def _locate_then_list(self, spec: ResourceSpec, region: str) -> None:
        """List ``spec`` only in the compartments where Search finds such objects: one search
        instead of a list call in every compartment, most of which hold none. When the search
        fails, every compartment is listed (nothing is lost, the calls are spent)."""
        import oci

        details = oci.resource_search.models.StructuredSearchDetails(
            type="Structured", query=f"query {spec.located_by} resources", matching_context_type="NONE"
        )
        found = self._call(
            None,
            "resource_search.ResourceSearchClient",
            "search_resources",
            region,
            self.root_compartment,
            level="warning",  # nothing is lost: the list calls below cover every compartment
            search_details=details,
        )
        if found is None:
            where = set(self.compartments)
        else:
            where = {
                s.compartment_id
                for s in found
                if str(s.resource_type or "").lower() == spec.located_by.lower()  # type: ignore[union-attr]
                and (s.compartment_id in self.compartments or self.compartments_known is False)
            }
        for compartment in sorted(where):
            self._spawn(self._list_regional, spec, region, compartment, None)

    def _availability_domains(self, region: str) -> None:
        ads = self._call(
            None,
            "identity.IdentityClient",
            "list_availability_domains",
            region,
            self.tenancy_id,
            compartment_id=self.tenancy_id,
        )
        self.availability_domains[region] = sorted(ad.name for ad in ads or [])

    def _list_tenancy(self, spec: ResourceSpec, region: str) -> None:
        assert spec.list_call
        items = self._call(
            spec.type, spec.client, spec.list_call, region, self.tenancy_id, compartment_id=self.tenancy_id
        )
        for item in items or []:
            if spec.related:
                self._spawn(self._with_related, spec, region, item)
            else:
                self._add(spec, region, item)

    def _list_compartment(self, spec: ResourceSpec, region: str, compartment: str) -> None:
        assert spec.list_call
        items = self._call(
            spec.type, spec.client, spec.list_call, region, compartment, compartment_id=compartment
        )
        for item in items or []:
            self._add(spec, region, item)

    def _singleton(self, spec: ResourceSpec, region: str) -> None:
        assert spec.get
        model = self._call(
            spec.type, spec.client, spec.get, region, self.tenancy_id, compartment_id=self.tenancy_id
        )
        if model is not None:
            self._add(spec, region, model)

    def _with_related(self, spec: ResourceSpec, region: str, item: Any, endpoint: str | None = None) -> None:
        """Fetch the related lists of one object (each its own call, run here in sequence: the
        objects themselves are spread over the pool)."""
        import oci

        object_id = getattr(item, spec.id_field)
        related: dict[str, list[Any]] = {}
        compartment = getattr(item, "compartment_id", None)
        for rel in spec.related:
            kwargs: dict[str, Any] = {rel.id_arg: object_id}
            for arg, source in rel.extra.items():
                kwargs[arg] = self.tenancy_id if source == "tenancy" else compartment
            values = self._call(spec.type, spec.client, rel.call, region, compartment, endpoint, **kwargs)
            if values is None:
                continue  # recorded; the list stays absent and reads as not collected
            if rel.field:
                related[rel.name] = sorted(
                    {getattr(v, rel.field) for v in values if (v.lifecycle_state or "ACTIVE") == "ACTIVE"}
                )
            else:
                related[rel.name] = [clean(oci.util.to_dict(v)) for v in values]
        self._add(spec, region, item, related)

    def _collect_in_processes(self, regions: list[str]) -> None:
        """Collect ``regions`` in up to ``processes - 1`` spawned worker processes (spawned, not forked:
        this process runs threads), merging each region's result as it arrives."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(self.processes - 1, len(regions)), mp_context=context) as pool:
            futures = {pool.submit(collect_region_in_process, _region_payload(self, r)): r for r in regions}
            for future in as_completed(futures):
                region = futures[future]
                try:
                    _merge_region(self, region, future.result())
                except Exception as exc:  # noqa: BLE001 - a dead worker is a failed region, reported
                    self._record(
                        "CollectRegion",
                        region,
                        self.root_compartment,
                        None,
                        f"{type(exc).__name__}: {exc}",
                        None,
                    )
                    with self._lock:
                        self.failed_types.update(s.type for s in self.specs if s.scope in ("search", "vault"))

    # --- Resource Search, then GETs ----------------------------------------------------------
    def _search_region(self, region: str) -> None:
        """Ask Search which types it offers here, then query each type on its own, so that a
        type Search rejects costs only that type."""
        specs = [s for s in self.specs if s.search_type]
        for spec in specs:
            self.attempted_types.add(spec.type)
        offered = self._call(
            None,
            "resource_search.ResourceSearchClient",
            "list_resource_types",
            region,
            self.root_compartment,
            level="warning",  # nothing is lost: each type is still queried on its own
        )
        names = {str(t.name).lower() for t in offered} if offered is not None else None
        with self._lock:
            self._offered[region] = names
        vault_like = [s for s in specs if s.scope == "vault"]
        for spec in specs:
            if names is not None and spec.search_type.lower() not in names and spec.fallback:  # type: ignore[union-attr]
                self._record(
                    "ListResourceTypes",
                    region,
                    None,
                    None,
                    f"Resource Search does not offer type {spec.search_type} here: {spec.type} is "
                    f"listed per compartment instead ({spec.fallback})",
                    None,
                    level="note",  # nothing is lost
                )
                self._list_instead_of_search(region, spec)
                continue
            if names is not None and spec.search_type.lower() not in names:  # type: ignore[union-attr]
                self._record(
                    "ListResourceTypes",
                    region,
                    None,
                    None,
                    f"Resource Search does not offer type {spec.search_type} here: {spec.type} not collected",
                    spec.type,
                )
                continue
            if spec.scope == "vault" or (spec.type == "key_management.Vault" and vault_like):
                continue  # keys first, then vaults (below): a vault's GET lists its keys
            self._spawn(self._search_type, region, spec)
        vaults = [s for s in specs if s.type == "key_management.Vault"]
        if vault_like or vaults:
            self._spawn(self._search_vaults_and_keys, region, vault_like, vaults, names)

    def _list_instead_of_search(self, region: str, spec: ResourceSpec) -> None:
        """List ``spec``'s objects per compartment (and AD) with its fallback list call, then GET
        each: the same objects Search would have returned, at more calls."""
        listed = replace(spec, scope="regional", list_call=spec.fallback, per_ad=spec.fallback_per_ad)
        ads = self.availability_domains.get(region, []) if listed.per_ad else [None]
        if listed.per_ad and not ads:
            self._record(spec.fallback or "", region, None, None, "no availability domain known", spec.type)
        for compartment in sorted(self.compartments):
            for ad in ads:
                self._spawn(self._list_regional, listed, region, compartment, ad)

    def _search_vaults_and_keys(
        self,
        region: str,
        key_specs: list[ResourceSpec],
        vault_specs: list[ResourceSpec],
        names: set[str] | None,
    ) -> None:
        for spec in key_specs + vault_specs:
            if names is None or spec.search_type.lower() in names:  # type: ignore[union-attr]
                self._search_type(region, spec)

    def _search_type(self, region: str, spec: ResourceSpec) -> None:
        import oci

        details = oci.resource_search.models.StructuredSearchDetails(
            type="Structured", query=f"query {spec.search_type} resources", matching_context_type="NONE"
        )
        found = self._call(
            spec.type,
            "resource_search.ResourceSearchClient",
            "search_resources",
            region,
            self.root_compartment,
            search_details=details,
        )
        if found is None:
            return
        namespace: Any = None
        strays: set[str] = set()
        for summary in found:
            # Search answers with its own spelling of the type: compare without regard to case.
            if str(summary.resource_type or "").lower() != spec.search_type.lower():  # type: ignore[union-attr]
                strays.add(str(summary.resource_type))
                continue
            if summary.compartment_id not in self.compartments and not (
                self.compartments_known is False and self.root_compartment == self.tenancy_id
            ):
                continue
            if str(summary.lifecycle_state or "").upper() in GONE:
                continue
            if spec.scope == "vault":
                # Keys are read through their vault's endpoint: remember where they live.
                with self._lock:
                    self.key_compartments[region].add(summary.compartment_id)
                continue
            extra: dict[str, Any] = {}
            if spec.type == "object_storage.Bucket":
                if namespace is None:
                    namespace = self._call(spec.type, spec.client, "get_namespace", region, None)
                    if namespace is None:
                        return
                extra["namespace_name"] = namespace
            self._spawn(self._get, spec, region, summary, extra)
        for stray in sorted(strays):
            self._record(
                "SearchResources",
                region,
                None,
                None,
                f"a query for {spec.search_type} returned results of type {stray}, which no spec maps",
                None,
                level="warning",
            )

    def _get(self, spec: ResourceSpec, region: str, summary: Any, extra: dict[str, Any]) -> None:
        assert spec.get and spec.get_id_arg
        ident = summary.display_name if spec.get_id_arg == "bucket_name" else summary.identifier
        model = self._call(
            spec.type,
            spec.client,
            spec.get,
            region,
            summary.compartment_id,
            allow_missing=True,
            **{spec.get_id_arg: ident},
            **extra,
        )
        if model is NOT_FOUND:
            self._unreadable(spec, region, _op_name(spec.get), summary)
            return
        if model is None:
            return
        if spec.related:
            self._with_related(spec, region, model)
        else:
            self._add(spec, region, model)
        self._follow(spec, region, model)
        if spec.type == "key_management.Vault":
            for key_spec in (s for s in self.specs if s.scope == "vault"):
                for compartment in sorted(self.key_compartments.get(region, ())):
                    self._spawn(self._list_keys, key_spec, region, model, compartment)

    def _follow(self, spec: ResourceSpec, region: str, model: Any) -> None:
        """List the types that follow ``spec`` in this object's compartment and AD, once per
        (compartment, AD)."""
        compartment = getattr(model, "compartment_id", None)
        ad = getattr(model, "availability_domain", None)
        for follower in self.specs:
            if follower.follows != spec.type or not compartment:
                continue
            # An object without its AD (none should lack it): every AD of the region.
            ads = [ad] if ad or not follower.per_ad else list(self.availability_domains.get(region, []))
            for one in ads if follower.per_ad else [None]:
                where = (follower.type, region, compartment, one)
                with self._lock:
                    if where in self._followed:
                        continue
                    self._followed.add(where)
                self._spawn(self._list_regional, follower, region, compartment, one)

    # --- list calls per region and compartment (types Search does not offer) -------------------
    def _list_regional(self, spec: ResourceSpec, region: str, compartment: str, ad: str | None) -> None:
        assert spec.list_call
        kwargs: dict[str, Any] = {"compartment_id": compartment}
        if ad is not None:
            kwargs["availability_domain"] = ad
        items = self._call(spec.type, spec.client, spec.list_call, region, compartment, **kwargs)
        for item in items or []:
            if str(getattr(item, "lifecycle_state", "") or "").upper() in GONE | {"DETACHED"}:
                continue
            if spec.get:
                self._spawn(self._get_listed, spec, region, item, compartment)
            elif spec.related:  # the list gives the full model; its sub-lists still need calls
                self._spawn(self._with_related, spec, region, item)
            else:
                self._add(spec, region, item, compartment=compartment)

    def _get_listed(self, spec: ResourceSpec, region: str, item: Any, compartment: str) -> None:
        assert spec.get and spec.get_id_arg
        model = self._call(
            spec.type,
            spec.client,
            spec.get,
            region,
            compartment,
            allow_missing=True,
            **{spec.get_id_arg: item.id},
        )
        if model is NOT_FOUND:
            self._unreadable(spec, region, _op_name(spec.get), item, compartment)
        elif model is not None and spec.related:
            self._with_related(spec, region, model)
            self._follow(spec, region, model)
        elif model is not None:
            self._add(spec, region, model, compartment=compartment)
            self._follow(spec, region, model)

    def _list_keys(self, spec: ResourceSpec, region: str, vault: Any, compartment: str) -> None:
        assert spec.list_call and spec.get and spec.get_id_arg
        endpoint = vault.management_endpoint
        summaries = self._call(
            spec.type, spec.client, spec.list_call, region, compartment, endpoint, compartment_id=compartment
        )
        for summary in summaries or []:
            if (summary.vault_id or vault.id) != vault.id or str(
                summary.lifecycle_state or ""
            ).upper() in GONE:
                continue
            self._spawn(self._get_key, spec, region, endpoint, summary.id, compartment)

    def _get_key(self, spec: ResourceSpec, region: str, endpoint: str, key_id: str, compartment: str) -> None:
        assert spec.get and spec.get_id_arg
        model = self._call(
            spec.type, spec.client, spec.get, region, compartment, endpoint, **{spec.get_id_arg: key_id}
        )
        if model is not None:
            self._with_related(spec, region, model, endpoint)


def _op_name(call: str) -> str:
    """``GetBucket`` of ``get_bucket``: the API's operation name, as errors name it."""
    return "".join(part.capitalize() for part in call.split("_"))


# --- regions in worker processes ------------------------------------------------------------------


def _region_payload(collector: Collector, region: str) -> dict[str, Any]:
    return {
        "session": collector.session_spec,
        "timeout": list(collector.session.timeout),
        "region": region,
        "root": collector.root_compartment,
        "compartments": sorted(collector.compartments),
        "compartments_known": collector.compartments_known,
        "compartment_names": collector.compartment_names,
        "compartment_parents": collector.compartment_parents,
        "concurrency": collector.concurrency,
        "retry": collector._retry_kwargs,
        "types": [spec.type for spec in collector.specs],
    }


def collect_region_in_process(payload: dict[str, Any]) -> dict[str, Any]:
    """Worker-process side: the availability domains and the Resource Search + GETs of one
    region, returned as plain data."""
    from scanner.sources.oci.auth import make_session

    session = make_session(**payload["session"])
    session.timeout = tuple(payload["timeout"])
    specs = tuple(spec for spec in SPECS if spec.type in set(payload["types"]))
    collector = Collector(
        session,
        compartment_id=payload["root"],
        concurrency=payload["concurrency"],
        retry=payload["retry"],
        specs=specs,
    )
    collector.compartments = set(payload["compartments"])
    collector.compartments_known = payload["compartments_known"]
    collector.compartment_names = payload["compartment_names"]
    collector.compartment_parents = payload["compartment_parents"]
    region = payload["region"]
    with ThreadPoolExecutor(collector.concurrency, thread_name_prefix="ocisec-region") as pool:
        collector._pool = pool
        collector._spawn(collector._region, region)
        collector._wait()
    return {
        "resources": [(r.type, r.region, r.data, r.related) for r in collector.resources],
        "errors": [e.to_dict() for e in collector.errors],
        "failed": sorted(collector.failed_types),
        "attempted": sorted(collector.attempted_types),
        "availability_domains": collector.availability_domains.get(region, []),
        "calls": collector.call_count,
    }


def _merge_region(collector: Collector, region: str, part: dict[str, Any]) -> None:
    with collector._lock:
        collector.resources.extend(SnapshotResource(t, r, d, rel) for t, r, d, rel in part["resources"])
        collector.errors.extend(CollectionError(**e) for e in part["errors"])
        collector.failed_types.update(part["failed"])
        collector.attempted_types.update(part["attempted"])
        collector.availability_domains[region] = part["availability_domains"]
        collector.call_count += part["calls"]
    collector.progress.note(region, "search", call=True)
