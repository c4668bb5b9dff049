"""The two ways to read a root connection, both yielding bulk-style lines (see rows.py).

BulkReader runs a bulk operation and streams its JSONL file line by line: memory stays flat
whatever the export size, and no line is held for another (children carry `__parentId`).
Its job id is saved in state before polling, so a killed run resumes the same job; a job
that FAILS is run again (its partial data is never used: a new complete file replaces it);
a job that reports 0 objects is checked against a plain query before it is believed; a file
shorter than its objectCount is read again past what was already read, or the run fails.

PlainReader pages the root with `first`/`after`, flattening each page into the same lines
and following up every nested connection that was cut at its inline `first` (the silent
truncation peers fell into).
"""

from __future__ import annotations

import decimal
import json
import logging
import time
import typing as t
from dataclasses import dataclass, replace

import requests

from tap_shopify_chord import queries as q
from tap_shopify_chord.client import AccessDenied, CostTooHigh, ShopifyClient, fail

Line = dict[str, t.Any]
TERMINAL = {"FAILED", "CANCELED", "EXPIRED"}
RESUMABLE = {"CREATED", "RUNNING", "COMPLETED"}
CHUNK = 1 << 20


@dataclass
class BulkSettings:
    poll_interval: float = 5.0
    max_wait: float = 6 * 3600.0
    retries: int = 3  # new jobs after a FAILED one, or after a doubtful empty one
    timeout: int = 60


class StateSlot(t.Protocol):
    """Where the reader keeps the running job (the stream's state) and writes it out."""

    def get(self) -> dict[str, t.Any] | None: ...
    def put(self, job: dict[str, t.Any] | None, consumed: str | None = None) -> None: ...
    def consumed(self) -> str | None: ...


class BulkReader:
    def __init__(
        self,
        client: ShopifyClient,
        root: q.Root,
        settings: BulkSettings,
        slot: StateSlot,
        logger: logging.Logger,
    ) -> None:
        self.client = client
        self.root = root
        self.settings = settings
        self.slot = slot
        self.logger = logger
        self.what = f"the {root.field} bulk export"

    def prepare(self, since: str | None, until: str | None) -> dict[str, t.Any]:
        """This window's job: resumed (state), adopted (`bulkOperations`) or started. Called
        ahead for every bulk stream of a run, so their exports run at the same time."""
        query = q.bulk_query(self.root, q.search(self.root, since, until))
        return self._resume(since) or self._start(query)

    def lines(self, since: str | None, until: str | None) -> t.Iterator[Line]:
        search = q.search(self.root, since, until)
        query = q.bulk_query(self.root, search)
        job = self._resume(since)
        tries = 0
        while True:
            if job is None:
                job = self._start(query)
            job = self._wait(job)
            status = job["status"]
            if status == "COMPLETED" and (
                int(job.get("objectCount") or 0) > 0 or not self._probe(search)
            ):
                break
            tries += 1
            if status == "FAILED" and job.get("errorCode") == "ACCESS_DENIED":
                self.slot.put(None)
                raise AccessDenied(f"bulk operation {job['id']} failed with ACCESS_DENIED")
            reason = (
                f"{status} ({job.get('errorCode') or 'no error code'})"
                if status != "COMPLETED"
                else "COMPLETED with 0 objects while a plain query finds some"
            )
            if tries > self.settings.retries:
                self.slot.put(None)
                fail(
                    f"{self.what}: bulk operation {job['id']} ended {reason}, "
                    f"{tries} jobs in a row; no rows of this window were kept as complete. "
                    "Try again later, or set the stream to plain queries (`bulk_streams`)."
                )
            self.logger.warning(
                "%s: bulk operation %s ended %s; its partial data is not used, starting "
                "a new job (%d of %d)",
                self.what,
                job["id"],
                reason,
                tries,
                self.settings.retries,
            )
            job = None
        yield from self._read(job)
        self.slot.put(None, consumed=job["id"])

    # -- the job --------------------------------------------------------------------------
    def _resume(self, since: str | None) -> dict[str, t.Any] | None:
        """The job saved in state, or one of the app's open jobs (`bulkOperations` by status
        and type), if its query is exactly the one this run builds for its window."""
        saved = self.slot.get()
        if saved and q.is_own_job(saved.get("query") or "", self.root, since):
            job = self._poll(saved["id"])
            if job:  # a FAILED one too: the caller says so and starts the next try
                self.logger.info("%s: resuming bulk operation %s from state", self.what, job["id"])
                return job
        # The state may not have reached the target before a kill: the job this tap started
        # for the same window may still be open (or done, its file not yet read).
        data = self.client.graphql(q.BULK_OPEN, what=self.what)
        for status in ("running", "created", "completed"):
            for edge in (data.get(status) or {}).get("edges") or []:
                job = dict(edge["node"])
                if (
                    job.get("status") in RESUMABLE
                    and job["id"] != self.slot.consumed()
                    and q.is_own_job(job.get("query") or "", self.root, since)
                    and (job["status"] != "COMPLETED" or job.get("url"))
                ):
                    self.logger.info("%s: adopting running bulk operation %s", self.what, job["id"])
                    self.slot.put({"id": job["id"], "query": job["query"]})
                    return job
        return None

    def _start(self, query: str) -> dict[str, t.Any]:
        waited = 0.0
        while True:
            data = self.client.graphql(q.BULK_RUN, {"query": query}, what=self.what)
            payload = data.get("bulkOperationRunQuery") or {}
            errors = payload.get("userErrors") or []
            if not errors and payload.get("bulkOperation"):
                job = payload["bulkOperation"]
                # Saved before polling: a run killed from here on resumes this same job.
                self.slot.put({"id": job["id"], "query": query})
                self.logger.info("%s: started bulk operation %s", self.what, job["id"])
                return dict(job)
            codes = {e.get("code") for e in errors}
            message = "; ".join(str(e.get("message")) for e in errors) or "no operation"
            if (
                codes & {"OPERATION_IN_PROGRESS", "LIMIT_REACHED"}
                and waited < self.settings.max_wait
            ):
                self.logger.info("%s: %s; waiting for a free bulk slot", self.what, message)
                time.sleep(self.settings.poll_interval)
                waited += self.settings.poll_interval
                continue
            fail(f"{self.what}: Shopify refused the bulk query: {message}")

    def _poll(self, job_id: str) -> dict[str, t.Any] | None:
        node = self.client.graphql(q.BULK_POLL, {"id": job_id}, what=self.what).get("node")
        return dict(node) if node else None

    def _wait(self, job: dict[str, t.Any]) -> dict[str, t.Any]:
        started = time.monotonic()
        interval = self.settings.poll_interval
        while job["status"] not in TERMINAL | {"COMPLETED"}:
            if time.monotonic() - started > self.settings.max_wait:
                fail(
                    f"{self.what}: bulk operation {job['id']} is still {job['status']} after "
                    f"{self.settings.max_wait:.0f}s (`bulk_max_wait_seconds`); its id is in the "
                    "state, so the next run picks it up where it is."
                )
            time.sleep(interval)
            # Poll less often as the job runs on: up to 10x the setting, at most 30 s.
            cap = max(self.settings.poll_interval, min(30.0, 10 * self.settings.poll_interval))
            interval = min(interval * 1.5, cap)
            polled = self._poll(job["id"])
            if polled is None:
                return {**job, "status": "EXPIRED"}
            job = polled
        return job

    def _probe(self, search: str | None) -> bool:
        """True if a plain query finds an object the empty job should have had."""
        data = self.client.graphql(q.probe_query(self.root), {"query": search}, what=self.what)
        return bool((data.get(self.root.field) or {}).get("nodes"))

    # -- the file -------------------------------------------------------------------------
    def _read(self, job: dict[str, t.Any]) -> t.Iterator[Line]:
        expected = int(job.get("objectCount") or 0)
        if expected == 0:
            return
        read = 0
        for attempt in range(1, self.client.max_retries + 1):
            url = job.get("url")
            if not url:
                fail(f"{self.what}: bulk operation {job['id']} COMPLETED without a file URL.")
            try:
                for line in self._stream(url, skip=read):
                    read += 1
                    yield line
            except (requests.RequestException, ValueError) as exc:
                self.logger.warning(
                    "%s: the file of bulk operation %s broke off after %d of %d lines (%s); "
                    "reading on from there",
                    self.what,
                    job["id"],
                    read,
                    expected,
                    type(exc).__name__,
                )
                time.sleep(min(30.0, self.client.backoff * 2 ** (attempt - 1)))
                job = self._poll(job["id"]) or job  # a fresh URL if the old one expired
                continue
            if read >= expected:
                return
            self.logger.warning(
                "%s: the file of bulk operation %s ended after %d of %d lines; reading it again",
                self.what,
                job["id"],
                read,
                expected,
            )
        fail(
            f"{self.what}: bulk operation {job['id']} reports {expected} objects but its file "
            f"gave {read}; the bookmark was not advanced. Try again later."
        )

    def _stream(self, url: str, skip: int) -> t.Iterator[Line]:
        # Signed URL: no token header, and never logged. Read in 1 MiB chunks and split on
        # newlines here: requests' iter_lines() works in 512-byte chunks, far slower.
        with self.client.session.get(url, stream=True, timeout=self.settings.timeout) as response:
            if response.status_code != 200:
                raise requests.HTTPError(f"HTTP {response.status_code}")
            loads, n, rest = json.JSONDecoder(parse_float=decimal.Decimal).decode, 0, b""
            for chunk in response.iter_content(CHUNK):
                parts = (rest + chunk).split(b"\n")
                rest = parts.pop()
                for raw in parts:
                    if raw.strip():
                        n += 1
                        if n > skip:
                            yield loads(raw.decode())
            if rest.strip() and n + 1 > skip:
                yield loads(rest.decode())


class ListFollower:
    """The connections inside a list field (a refund's line items) that a bulk query may not
    select: after each batch of parents whose list is not empty, one plain query reads them
    (`nodes(ids:)`, lists read whole and cut connections followed up as in plain mode)."""

    def __init__(self, client: ShopifyClient, root: q.Root, logger: logging.Logger) -> None:
        self.root = root
        self.lists = [c for c in root.children if isinstance(c, q.ListOf) and c.children]
        self.plain = PlainReader(client, root, q.MAX_FIRST, logger)
        self.client = client

    def lines(self, lines: t.Iterable[Line]) -> t.Iterator[Line]:
        # Parents grouped by their list's length (the export gives it): each query asks
        # exactly that many items for as many parents as fit in the cost budget.
        pending: dict[tuple[int, int], list[str]] = {}
        for line in lines:
            yield line
            if line.get("__typename") != self.root.node_type:
                continue
            for n, child in enumerate(self.lists):
                length = len(line.get(child.field) or [])
                if not length:
                    continue
                if length > q.FULL_LIST:
                    fail(
                        f"{self.plain.what}: {line['id']} has {length} {child.field}, more "
                        "than one query can read; report this to the tap's maintainers."
                    )
                group = pending.setdefault((n, length), [])
                group.append(line["id"])
                if len(group) >= q.list_batch(child, length):
                    yield from self._follow(child, length, group)
                    pending[(n, length)] = []
        for (n, length), ids in pending.items():
            if ids:
                yield from self._follow(self.lists[n], length, ids)

    def _follow(self, child: q.ListOf, length: int, ids: list[str]) -> t.Iterator[Line]:
        query = q.list_children_query(self.root.node_type, replace(child, first=length))
        try:
            data = self.client.graphql(query, {"ids": ids}, what=self.plain.what)
        except CostTooHigh:
            if len(ids) == 1:
                fail(f"{self.plain.what}: one order's {child.field} cost over 1000 points.")
            half = len(ids) // 2
            yield from self._follow(child, length, ids[:half])
            yield from self._follow(child, length, ids[half:])
            return
        # The list is read whole at the length the export gave (an item added since moves
        # the parent's updated_at: the next run reads it); its cut connections followed up.
        whole = (replace(child, first=length + 1),)
        for node in data.get("nodes") or []:
            if node:  # a parent deleted since the export: nothing to add
                nested = self.plain._flatten(node, self.root.node_type, whole, None)
                next(nested)  # the parent's own line came with the export
                yield from nested


class PlainReader:
    def __init__(
        self,
        client: ShopifyClient,
        root: q.Root,
        page_size: int,
        logger: logging.Logger,
        limit: int | None = None,
    ) -> None:
        self.client = client
        self.root = root
        self.page_size = max(1, min(page_size, q.MAX_FIRST))
        self.limit = limit  # a dry run (`--test`) needs one object
        self.logger = logger
        self.what = f"{root.field} (plain queries)"

    def lines(self, since: str | None, until: str | None) -> t.Iterator[Line]:
        nested = 1 if self.limit else None
        query = q.page_query(self.root, nested)
        first = self.limit or self.page_size
        after: str | None = None
        seen = 0
        while True:
            variables: dict[str, t.Any] = {"first": first, "after": after}
            if self.root.filter_field:
                variables["query"] = q.search(self.root, since, until)
            try:
                data = self.client.graphql(query, variables, what=self.what)
            except CostTooHigh as exc:
                if first == 1:
                    fail(f"{self.what}: one object costs more than Shopify's 1000-point limit.")
                smaller = int(first * 900 / exc.cost) if exc.cost else first // 2
                first = max(1, min(first - 1, smaller))
                self.logger.info("%s: page too costly, asking for %d per page", self.what, first)
                continue
            page = data.get(self.root.field) or {}
            for node in page.get("nodes") or []:
                yield from self._flatten(node, self.root.node_type, self.root.children, None)
                seen += 1
                if self.limit and seen >= self.limit:
                    return
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")

    def _flatten(
        self,
        node: dict[str, t.Any],
        node_type: str,
        children: t.Sequence[q.Connection | q.ListOf],
        parent: str | None,
    ) -> t.Iterator[Line]:
        line = {k: v for k, v in node.items() if k not in {c.field for c in children}}
        if parent:
            line["__parentId"] = parent
        nested: list[Line] = []
        for child in children:
            if isinstance(child, q.ListOf):
                items = node.get(child.field) or []
                if len(items) >= child.first and not self.limit:
                    # the list filled its cap: read it whole
                    data = self.client.graphql(
                        q.full_list_query(node_type, child), {"id": node["id"]}, what=self.what
                    )
                    items = (data.get("node") or {}).get(child.field) or []
                    if len(items) >= q.FULL_LIST:
                        fail(
                            f"{self.what}: {node['id']} has {q.FULL_LIST} or more {child.field}, "
                            "more than one query can read; report this to the tap's maintainers."
                        )
                kept = []
                for item in items:
                    kept.append(
                        {
                            k: v
                            for k, v in item.items()
                            if k not in {c.field for c in child.children}
                        }
                    )
                    for sub in child.children:
                        for got in self._connection(item, item["__typename"], sub):
                            got.setdefault("__listOwnerId", node["id"])  # the order's key
                            nested.append(got)
                line[child.field] = kept
            else:
                nested += self._connection(node, node_type, child)
        yield line
        yield from nested

    def _connection(self, owner: dict, owner_type: str, child: q.Connection) -> list[Line]:
        out: list[Line] = []
        conn = owner.get(child.field) or {}
        position = 0
        while True:
            for sub in conn.get("nodes") or []:
                if sub.get("id") is None:  # nullable ids (RefundLineItem.id): keyed by place
                    sub = {**sub, "__position": position}
                position += 1
                out += self._flatten(sub, child.node_type, child.children, owner["id"])
            info = conn.get("pageInfo") or {}
            if self.limit or not info.get("hasNextPage"):
                return out
            data = self.client.graphql(
                q.follow_up_query(owner_type, child),
                {"id": owner["id"], "after": info.get("endCursor")},
                what=self.what,
            )
            conn = (data.get("node") or {}).get(child.field) or {}
