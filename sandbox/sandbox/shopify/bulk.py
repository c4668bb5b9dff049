"""Bulk operations: `bulkOperationRunQuery`, the background export, status and the JSONL file.

A job validates its inner query against the real schema of the request's version
(contract.py), then against Shopify's bulk rules with Shopify's own userError texts (at most 5
connections, at most 2 levels of them, no top-level node/nodes, edges > node only, `id` on
every parent of a nested connection, no connection inside a list field such as
Order.refunds), then runs it in a thread through the sandbox's GraphQL engine, 250 root
objects at a time, and writes JSONL: each object one line, the nodes of a nested connection
separate lines carrying `__parentId`. Lines are shuffled within each window, so a child can
come before its parent (`groupObjects: false`, the default since 2026-01; true before).

Status as a client sees it: CREATED in the run answer; RUNNING until it has been polled
`polls` times (node(id:) or currentBulkOperation) *and* the export is done (and `seconds`
have passed); then COMPLETED, or FAILED with an errorCode (ACCESS_DENIED for a missing
scope; INTERNAL_SERVER_ERROR with a `partialDataUrl` holding the first half of the lines for
the first `fail_first` jobs). A cancel answers CANCELING, then CANCELED.
"""

from __future__ import annotations

import json
import random
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    parse,
    validate,
)

from sandbox.shopify import contract, graph
from sandbox.shopify.data import gid, iso

MAX_CONNECTIONS = 5
MAX_NESTING = 2
WINDOW = 250
TERMINAL = ("COMPLETED", "FAILED", "CANCELED", "EXPIRED")


@dataclass
class Job:
    number: int
    query: str
    root_field: str
    created: int
    fail: bool
    grouped: bool
    started: float = field(default_factory=time.monotonic)
    polls: int = 0
    done: bool = False  # the export thread finished
    outcome: str = "COMPLETED"  # what the thread ended with: COMPLETED, FAILED, CANCELED
    error_code: str | None = None
    cancel_requested: bool = False
    canceling_shown: bool = False
    object_count: int = 0
    root_count: int = 0
    file_size: int | None = None
    completed: int | None = None
    has_partial: bool = False

    @property
    def id(self) -> str:
        return gid("BulkOperation", self.number)


class BulkError(Exception):
    """An invalid bulk query: becomes a userError."""


class BulkJobs:
    def __init__(
        self,
        *,
        polls: int = 2,
        seconds: float = 0.0,
        fail_first: int = 0,
        seed: int = 1,
        clock: Any = time.time,
    ) -> None:
        self.polls, self.seconds, self.fail_first = polls, seconds, fail_first
        self.seed, self.clock = seed, clock
        self.jobs: dict[str, Job] = {}
        self.created: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._dir = tempfile.TemporaryDirectory(prefix="shopify-bulk-")
        self._threads: list[threading.Thread] = []

    def close(self) -> None:
        for job in self.jobs.values():
            job.cancel_requested = True
        for thread in self._threads:
            thread.join(timeout=30)
        self._dir.cleanup()

    def path(self, number: int, partial: bool = False) -> Path:
        return Path(self._dir.name) / f"{number}{'.partial' if partial else ''}.jsonl"

    # -- GraphQL fields -------------------------------------------------------------------
    def run(self, query: str, ctx: graph.Context, grouped: bool = False) -> dict[str, Any]:
        try:
            root_field = validate_bulk_query(query, contract.real_schema(ctx.version))
        except BulkError as exc:
            return _user_error(str(exc), "INVALID")
        with self._lock:
            limit = 5 if ctx.version >= "2026-01" else 1
            active = [j for j in self.jobs.values() if self._status(j, False) not in TERMINAL]
            if len(active) >= limit:
                if limit == 1:
                    return _user_error(
                        "A bulk query operation for this app and shop is already in progress: "
                        f"{active[0].id}.",
                        "OPERATION_IN_PROGRESS",
                    )
                return _user_error(
                    f"The limit of {limit} concurrent bulk query operations for this app and "
                    "shop has been reached.",
                    "LIMIT_REACHED",
                )
            number = 7_200_000_000_000 + sum(self.created.values()) + 1
            job = Job(
                number=number,
                query=query,
                root_field=root_field,
                created=int(self.clock()),
                fail=sum(self.created.values()) < self.fail_first,
                grouped=grouped,
            )
            self.created[root_field] += 1
            self.jobs[job.id] = job
        thread = threading.Thread(target=self._export, args=(job, ctx), daemon=True)
        self._threads.append(thread)
        thread.start()
        return {"bulkOperation": self._render(job, ctx, "CREATED"), "userErrors": []}

    def render(self, global_id: str, ctx: graph.Context) -> dict[str, Any] | None:
        job = self.jobs.get(global_id)
        if job is None:
            return None
        job.polls += 1
        return self._render(job, ctx, self._status(job))

    def current(self, ctx: graph.Context) -> dict[str, Any] | None:
        if not self.jobs:
            return None
        return self.render(max(self.jobs.values(), key=lambda j: j.number).id, ctx)

    def listing(
        self, ctx: graph.Context, status: str | None, kind: str | None
    ) -> list[dict[str, Any]]:
        """`bulkOperations`: every job, newest first, with the given status (a look at each
        counts as a poll, as node(id:) does)."""
        if kind not in (None, "QUERY"):
            return []  # the sandbox runs bulk queries only
        rendered = [self.render(j.id, ctx) for j in sorted(self.jobs.values(), key=_newest)]
        return [r for r in rendered if r is not None and status in (None, r["status"])]

    def cancel(self, global_id: str, ctx: graph.Context) -> dict[str, Any]:
        job = self.jobs.get(global_id)
        if job is None:
            return {
                "bulkOperation": None,
                "userErrors": [_plain_error("Bulk operation does not exist")],
            }
        status = self._status(job)
        if status in TERMINAL:
            message = f"A bulk operation cannot be canceled when it is {status.lower()}"
            return {
                "bulkOperation": self._render(job, ctx, status),
                "userErrors": [_plain_error(message)],
            }
        job.cancel_requested = True
        return {"bulkOperation": self._render(job, ctx, self._status(job)), "userErrors": []}

    # -- status -----------------------------------------------------------------------------
    def _status(self, job: Job, observe: bool = True) -> str:
        """The status a poll sees; `observe=False` looks without counting as the poll that
        moves CANCELING on or stamps completedAt."""
        if job.cancel_requested:
            if not job.canceling_shown:
                job.canceling_shown = observe
                return "CANCELING"
            return "CANCELED"
        ready = (
            job.done and job.polls >= self.polls and time.monotonic() - job.started >= self.seconds
        )
        if not ready:
            return "RUNNING" if job.polls else "CREATED"
        if job.completed is None and observe:
            job.completed = int(self.clock())
        return job.outcome

    def _render(self, job: Job, ctx: graph.Context, status: str) -> dict[str, Any]:
        finished = status in ("COMPLETED", "FAILED")
        base = f"{ctx.base_url}/bulk/{job.number}"
        return {
            "__typename": "BulkOperation",
            "id": job.id,
            "status": status,
            "errorCode": job.error_code if status == "FAILED" else None,
            "createdAt": iso(job.created),
            "completedAt": iso(job.completed) if finished else None,
            "objectCount": str(job.object_count if finished else 0),
            "rootObjectCount": str(job.root_count if finished else 0),
            "fileSize": str(job.file_size) if status == "COMPLETED" and job.object_count else None,
            # Shopify sends no url for an export with no rows.
            "url": f"{base}.jsonl" if status == "COMPLETED" and job.object_count else None,
            "partialDataUrl": f"{base}/partial.jsonl"
            if status == "FAILED" and job.has_partial
            else None,
            "query": job.query,
            "type": "QUERY",
        }

    # -- the export -------------------------------------------------------------------------
    def _export(self, job: Job, request_ctx: graph.Context) -> None:
        rng = random.Random(f"{self.seed}:bulk:{job.number}")
        prepared = graph.prepare(job.query, None, None)
        window = graph.BulkWindow(size=WINDOW)
        ctx = replace(request_ctx, bulk=window)
        lines_written = 0
        try:
            with self.path(job.number).open("w", encoding="utf-8") as out:
                while not job.cancel_requested:
                    result = graph.run(prepared, ctx, None)
                    if result.errors:
                        job.outcome, job.error_code = "FAILED", _error_code(result.errors)
                        return
                    lines = flatten(result.data or {})
                    job.root_count += sum(1 for line in lines if "__parentId" not in line)
                    if not job.grouped:
                        rng.shuffle(lines)
                    for line in lines:
                        out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
                        out.write("\n")
                    lines_written += len(lines)
                    if not window.has_next:
                        break
                    window.after = window.end_cursor
            job.object_count = lines_written
            job.file_size = self.path(job.number).stat().st_size
            if job.cancel_requested:
                job.outcome = "CANCELED"
            elif job.fail:
                self._partial(job, lines_written // 2)
                job.outcome, job.error_code = "FAILED", "INTERNAL_SERVER_ERROR"
        except Exception:  # the sandbox's own bug: report it as Shopify would
            job.outcome, job.error_code = "FAILED", "INTERNAL_SERVER_ERROR"
            raise
        finally:
            job.done = True

    def _partial(self, job: Job, keep: int) -> None:
        with (
            self.path(job.number).open(encoding="utf-8") as full,
            self.path(job.number, partial=True).open("w", encoding="utf-8") as partial,
        ):
            for _ in range(keep):
                partial.write(full.readline())
        job.has_partial = True

    def file(self, number: int, partial: bool) -> Path | None:
        """The JSONL a finished job serves (None while it is not downloadable)."""
        job = self.jobs.get(gid("BulkOperation", number))
        if job is None or not job.done:
            return None
        if partial and not job.has_partial:
            return None
        if not partial and (job.outcome != "COMPLETED" or job.cancel_requested):
            return None
        path = self.path(number, partial)
        return path if path.exists() else None

    def stats(self) -> dict[str, Any]:
        return {
            "bulk_operations_created": dict(self.created),
            "bulk_operations": sum(self.created.values()),
        }


def _newest(job: Job) -> int:
    return -job.number


def _user_error(message: str, code: str) -> dict[str, Any]:
    return {
        "bulkOperation": None,
        "userErrors": [{"field": ["query"], "message": message, "code": code}],
    }


def _plain_error(message: str) -> dict[str, Any]:
    return {"field": ["id"], "message": message}


def _error_code(errors: list[GraphQLError]) -> str:
    codes = {(e.extensions or {}).get("code") for e in errors}
    return "ACCESS_DENIED" if "ACCESS_DENIED" in codes else "INTERNAL_SERVER_ERROR"


# -- validation -------------------------------------------------------------------------------
# Shopify's own userError texts for bulkOperationRunQuery (code INVALID, field ["query"]), as
# Shopify answers them; the rules are those of https://shopify.dev/docs/api/usage/bulk-operations/queries
# ("Operation restrictions"): at most five connections, at most two levels of connections,
# no top-level node/nodes, contents through edges > node, `id` on every parent of a nested
# connection, and no connection inside a list field.
NODES_ONLY = (
    "All connection fields in a bulk query must select their contents using 'edges' > 'node', "
    "e.g: '{0} {{ edges {{ node {{'. Selecting via 'nodes' is not supported. Invalid connection "
    "fields: '{1}'."
)
TOP_LEVEL_NODE = "Bulk queries cannot contain a top level `node` field."
TOO_DEEP = "Bulk queries cannot contain connections with a nesting depth greater than 2."
TOO_MANY = "Bulk queries cannot contain more than 5 connections."
PARENT_ID = (
    "The parent 'node' field for a nested connection must select the 'id' field without an "
    "alias and must be of 'ID' return type. Connection fields without 'id': {0}."
)
IN_LIST = "Queries that contain a connection field within a list field are not currently supported."
NO_CONNECTION = "Bulk queries must contain at least one connection."
NOT_A_QUERY = "Invalid operation type. Only `query` operations are supported."


@dataclass
class _Analysis:
    connections: int = 0
    depth: int = 0
    nodes_fields: list[str] = field(default_factory=list)
    without_id: list[str] = field(default_factory=list)
    in_list: bool = False
    top_level_node: bool = False


def validate_bulk_query(query: str, schema: GraphQLSchema | None = None) -> str:
    """The root connection's field name, or BulkError with Shopify's message. `schema` is
    the real schema of the request's version (graph.SCHEMA when the contracts are absent)."""
    schema = schema or graph.SCHEMA
    if not query.strip():
        raise BulkError("Invalid bulk query: syntax error, unexpected end of file")
    try:
        document = parse(query)
    except GraphQLError as exc:
        raise BulkError(f"Invalid bulk query: {exc.message}") from exc
    errors = validate(schema, document)
    if errors:
        raise BulkError(f"Invalid bulk query: {errors[0].message}")
    problems = bulk_rule_errors(query, schema)
    if problems:
        raise BulkError(problems[0])
    # The sandbox runs the query on its own engine: it must know every field too.
    if schema is not graph.SCHEMA:
        own = validate(graph.SCHEMA, document)
        if own:
            raise BulkError(f"Invalid bulk query: the sandbox does not serve {own[0].message}")
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return next(
        s.name.value
        for s in operation.selection_set.selections
        if isinstance(s, FieldNode) and not s.name.value.startswith("__")
    )


def bulk_rule_errors(query: str, schema: GraphQLSchema) -> list[str]:
    """Shopify's bulk-operation rule violations of a (schema-valid) query, in Shopify's order."""
    document = parse(query)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation.value != "query":
        return [NOT_A_QUERY]
    # Shopify's bulk docs never show fragments; the sandbox refuses them (stricter).
    if any(isinstance(d, FragmentDefinitionNode) for d in document.definitions):
        return ["Invalid bulk query: fragments are not supported in bulk queries."]
    found = _Analysis()
    assert schema.query_type is not None
    _analyse(operations[0].selection_set, schema.query_type, 0, False, True, found)
    out = []
    if found.nodes_fields:
        out.append(NODES_ONLY.format(found.nodes_fields[0], "', '".join(found.nodes_fields)))
    if found.top_level_node:
        out.append(TOP_LEVEL_NODE)
    if found.depth > MAX_NESTING:
        out.append(TOO_DEEP)
    if found.connections > MAX_CONNECTIONS:
        out.append(TOO_MANY)
    if found.without_id:
        out.append(PARENT_ID.format(", ".join(found.without_id)))
    if found.in_list:
        out.append(IN_LIST)
    if found.connections == 0 and (not out or out == [TOP_LEVEL_NODE]):
        out.append(NO_CONNECTION)
    return out


def _is_connection_type(named: Any) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and named.name.endswith("Connection")
        and ("edges" in named.fields)
    )


def _analyse(
    selection_set: SelectionSetNode | None,
    parent: Any,
    depth: int,
    in_list: bool,
    top: bool,
    found: _Analysis,
) -> None:
    """Walk a selection: count connections and their depth (the root is level 1), note
    `nodes` selections, lists holding connections, and parents of nested connections that
    lack `id`."""
    if selection_set is None:
        return
    fields = _fields(selection_set)
    for node in fields:
        name = node.name.value
        field_def = getattr(parent, "fields", {}).get(name)
        if field_def is None:
            continue  # __typename, or a field of an inline fragment's type (see _fields)
        if top and name in ("node", "nodes"):
            found.top_level_node = True
        named = get_named_type(field_def.type)
        if _is_connection_type(named):
            found.connections += 1
            found.depth = max(found.depth, depth + 1)
            if in_list:
                found.in_list = True
            if depth >= 1 and not any(f.name.value == "id" and f.alias is None for f in fields):
                found.without_id.append(name)
            for part in _fields(node.selection_set) if node.selection_set else []:
                if part.name.value == "nodes":
                    found.nodes_fields.append(name)
                elif part.name.value == "edges":
                    for inner in _fields(part.selection_set) if part.selection_set else []:
                        if inner.name.value == "node":
                            item = get_named_type(named.fields["edges"].type).fields["node"]
                            _analyse(
                                inner.selection_set,
                                get_named_type(item.type),
                                depth + 1,
                                in_list,
                                False,
                                found,
                            )
            continue
        inner_type = field_def.type
        if isinstance(inner_type, GraphQLNonNull):
            inner_type = inner_type.of_type
        listed = in_list or isinstance(inner_type, GraphQLList)
        _analyse(node.selection_set, named, depth, listed, False, found)


def _fields(selection_set: SelectionSetNode) -> list[FieldNode]:
    out: list[FieldNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            out.append(selection)
        elif hasattr(selection, "selection_set") and selection.selection_set is not None:
            out += _fields(selection.selection_set)  # inline fragments
    return out


# -- JSONL ------------------------------------------------------------------------------------
def _is_connection(value: Any) -> bool:
    """Connection results are the only objects here made of edges/nodes/pageInfo alone."""
    return (
        isinstance(value, dict)
        and bool(value)
        and set(value) <= {"edges", "nodes", "pageInfo"}
        and ("edges" in value or "nodes" in value)
    )


def _connection_nodes(value: dict[str, Any]) -> list[dict[str, Any]]:
    if value.get("edges") is not None:
        return [edge["node"] for edge in value["edges"] if edge.get("node") is not None]
    return list(value.get("nodes") or [])


def flatten(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One window's result -> JSONL objects (root objects, then nested ones with __parentId)."""
    out: list[dict[str, Any]] = []
    for value in data.values():
        if _is_connection(value):
            for node in _connection_nodes(value):
                _emit(node, None, out)
    return out


def _emit(node: dict[str, Any], parent_id: str | None, out: list[dict[str, Any]]) -> None:
    slot = len(out)  # the parent's line goes before its children's (groupObjects order)
    out.append({})
    line = _inline(node, node.get("id"), out)
    if parent_id is not None:
        line["__parentId"] = parent_id
    out[slot] = line


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _inline(value: dict[str, Any], owner_id: str | None, out: list[dict[str, Any]]) -> dict:
    """Copy `value` without its connections, emitting their nodes as lines under the nearest
    object with an id (the object itself when it has one)."""
    own_id = value.get("id", owner_id)
    line: dict[str, Any] = {}
    for key, item in value.items():
        if _is_connection(item):
            for child in _connection_nodes(item):
                _emit(child, own_id, out)
        elif isinstance(item, dict):
            line[key] = _inline(item, own_id, out)
        elif isinstance(item, list) and item and isinstance(item[0], dict):
            # a list of objects (Order.refunds) is copied inline; validation refused any
            # connection inside it, as Shopify does
            line[key] = [_copy(entry) for entry in item]
        else:
            line[key] = item
    return line
