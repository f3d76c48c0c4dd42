# The types of what a Python Worker finds on `env` (bindings), and of the objects a Workflow's
# `run(event, step)` and a Durable Object's `ctx` receive, as the runtime SDK hands them to
# Python: JS method names, options as keyword arguments with their JS names, plain JS objects
# back as `JsDict`s. A type-only module: `wf types` imports these names into the generated
# env stub, which re-exports them (`if TYPE_CHECKING: from worker_env import D1Database`).
import datetime
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping
from typing import Any, Literal, Protocol, TypeAlias, TypedDict, TypeVar, overload

_T = TypeVar("_T")

class JsDict(dict[str, Any]):
    """A JS object as Python sees it: a dict whose keys are also attributes."""

    def __getattr__(self, name: str) -> Any: ...
    def __setattr__(self, name: str, value: Any) -> None: ...

class JsProxy:
    """A JS value handed over unconverted (a JSON var, an older date's binding result)."""

    def __getattr__(self, name: str) -> Any: ...
    def to_py(self) -> Any: ...

class JsArray(JsProxy):
    """A JS array handed over unconverted (a JSON var that is an array)."""

    def __getitem__(self, index: int) -> Any: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...
    def to_py(self) -> list[Any]: ...

class ReadableStream:
    """A body stream: hand it on whole, or read it with `getReader()`."""

    def getReader(self) -> Any: ...
    def __getattr__(self, name: str) -> Any: ...

BodyInit: TypeAlias = str | bytes | memoryview | ReadableStream

class ExecutionContext:
    """The `ctx` of a Worker's or a Workflow's entrypoint."""

    def waitUntil(self, promise: Awaitable[Any], /) -> None: ...
    def wait_until(self, promise: Awaitable[Any], /) -> None: ...
    def passThroughOnException(self) -> None: ...

# -- Workflows: the `event` and `step` of run(), and the Workflow binding

class WorkflowEvent(JsDict):
    """The `event` of `run(event, step)`."""

    payload: Any
    timestamp: datetime.datetime
    instanceId: str
    workflowName: str

class ReceivedEvent(JsDict):
    """What `step.wait_for_event` returns."""

    payload: Any
    timestamp: datetime.datetime
    type: str

Duration: TypeAlias = str | int  # "10 seconds", "7 days", or milliseconds
Backoff: TypeAlias = Literal["constant", "linear", "exponential"]

class WorkflowRetries(TypedDict, total=False):
    limit: int
    delay: Duration
    backoff: Backoff

class WorkflowStepConfig(TypedDict, total=False):
    retries: WorkflowRetries
    timeout: Duration

class StepDecorator(Protocol):
    """What `step.do(...)` returns: decorate a function, then `await my_step()`."""

    @overload
    def __call__(
        self, func: Callable[..., Coroutine[Any, Any, _T]], /
    ) -> Callable[[], Awaitable[_T]]: ...
    @overload
    def __call__(self, func: Callable[..., _T], /) -> Callable[[], Awaitable[_T]]: ...

class WorkflowStep:
    """The `step` of `run(event, step)` with implicit dependencies (the current default):
    a step's parameters name the steps it depends on."""

    def do(
        self,
        name: str | None = None,
        *,
        concurrent: bool = False,
        config: WorkflowStepConfig | None = None,
    ) -> StepDecorator: ...
    async def sleep(self, name: str, duration: Duration, /) -> None: ...
    async def sleep_until(
        self, name: str, timestamp: datetime.datetime | int | float, /
    ) -> None: ...
    async def wait_for_event(
        self, name: str, event_type: str, /, timeout: Duration = "24 hours"
    ) -> ReceivedEvent: ...

class LegacyWorkflowStep:
    """The `step` before implicit dependencies (compatibility dates before 2026-02-25, or
    `no_python_workflows_implicit_dependencies`): dependencies listed in `depends`."""

    def do(
        self,
        name: str,
        depends: list[Callable[[], Awaitable[Any]]] | None = None,
        concurrent: bool = False,
        config: WorkflowStepConfig | None = None,
    ) -> StepDecorator: ...
    async def sleep(self, name: str, duration: Duration, /) -> None: ...
    async def sleep_until(
        self, name: str, timestamp: datetime.datetime | int | float, /
    ) -> None: ...
    async def wait_for_event(
        self, name: str, event_type: str, /, timeout: Duration = "24 hours"
    ) -> ReceivedEvent: ...

InstanceStatusName: TypeAlias = Literal[
    "queued",
    "running",
    "paused",
    "errored",
    "terminated",
    "complete",
    "waiting",
    "waitingForPause",
    "unknown",
]

class InstanceStatus(JsDict):
    status: InstanceStatusName
    output: Any
    error: JsDict | None

class WorkflowRetention(TypedDict, total=False):
    successRetention: Duration
    errorRetention: Duration

class WorkflowInstanceCreateOptions(TypedDict, total=False):
    id: str
    params: Any
    retention: WorkflowRetention

class WorkflowInstance:
    """A handle on one instance, as `create()` and `get()` return it."""

    @property
    def id(self) -> str: ...
    async def status(self) -> InstanceStatus: ...
    async def pause(self) -> None: ...
    async def resume(self) -> None: ...
    async def terminate(self) -> None: ...
    async def restart(self, options: Mapping[str, Any] | None = None, /) -> None: ...
    @overload
    async def send_event(self, *, type: str, payload: Any = None) -> None: ...
    @overload
    async def send_event(self, event: Mapping[str, Any], /) -> None: ...
    @overload
    async def sendEvent(self, *, type: str, payload: Any = None) -> None: ...
    @overload
    async def sendEvent(self, event: Mapping[str, Any], /) -> None: ...

class Workflow:
    """A Workflow binding (`workflows[]` in the config)."""

    @overload
    async def create(
        self,
        *,
        id: str = ...,
        params: Any = ...,
        retention: WorkflowRetention = ...,
    ) -> WorkflowInstance: ...
    @overload
    async def create(self, options: WorkflowInstanceCreateOptions, /) -> WorkflowInstance: ...
    async def create_batch(
        self, batch: Iterable[WorkflowInstanceCreateOptions], /
    ) -> list[WorkflowInstance]: ...
    async def createBatch(
        self, batch: Iterable[WorkflowInstanceCreateOptions], /
    ) -> list[WorkflowInstance]: ...
    async def deleteBatch(self, ids: Iterable[str], /) -> JsDict: ...
    async def get(self, instance_id: str, /) -> WorkflowInstance: ...

# -- D1

D1Value: TypeAlias = str | int | float | bool | bytes | memoryview | None

class D1Meta(JsDict):
    duration: float
    changes: int
    last_row_id: int
    changed_db: bool
    rows_read: int
    rows_written: int
    size_after: int

class D1Result(JsDict):
    results: list[JsDict]
    success: bool
    meta: D1Meta

class D1ExecResult(JsDict):
    count: int
    duration: float

class D1PreparedStatement:
    def bind(self, *values: D1Value) -> D1PreparedStatement: ...
    @overload
    async def first(self) -> JsDict | None: ...
    @overload
    async def first(self, column: str, /) -> Any: ...
    async def all(self) -> D1Result: ...
    async def run(self) -> D1Result: ...
    async def raw(self, *, columnNames: bool = False) -> list[list[Any]]: ...

class D1DatabaseSession:
    def prepare(self, query: str, /) -> D1PreparedStatement: ...
    async def batch(self, statements: list[D1PreparedStatement], /) -> list[D1Result]: ...
    def getBookmark(self) -> str | None: ...

class D1Database:
    """A D1 database (`d1_databases[]`)."""

    def prepare(self, query: str, /) -> D1PreparedStatement: ...
    async def batch(self, statements: list[D1PreparedStatement], /) -> list[D1Result]: ...
    async def exec(self, query: str, /) -> D1ExecResult: ...
    def withSession(self, constraint_or_bookmark: str = ..., /) -> D1DatabaseSession: ...

# -- KV

KVType: TypeAlias = Literal["text", "json", "arrayBuffer", "stream"]

class KVListKey(JsDict):
    name: str
    expiration: int | None
    metadata: Any

class KVListResult(JsDict):
    keys: list[KVListKey]  # type: ignore[assignment]  # read it as result["keys"]: .keys is dict's
    list_complete: bool
    cursor: str | None
    cacheStatus: str | None

class KVValueWithMetadata(JsDict):
    value: Any
    metadata: Any
    cacheStatus: str | None

class KVNamespace:
    """A KV namespace (`kv_namespaces[]`)."""

    @overload
    async def get(
        self, key: str, /, type: Literal["text"] = "text", *, cacheTtl: int = ...
    ) -> str | None: ...
    @overload
    async def get(
        self, key: str, /, type: Literal["json", "arrayBuffer", "stream"], *, cacheTtl: int = ...
    ) -> Any: ...
    @overload
    async def get(
        self, keys: list[str], /, type: Literal["text", "json"] = "text", *, cacheTtl: int = ...
    ) -> JsDict: ...
    async def getWithMetadata(
        self, key: str, /, type: KVType = "text", *, cacheTtl: int = ...
    ) -> KVValueWithMetadata: ...
    async def put(
        self,
        key: str,
        value: BodyInit,
        /,
        *,
        expiration: int = ...,
        expirationTtl: int = ...,
        metadata: Any = ...,
    ) -> None: ...
    async def delete(self, key: str, /) -> None: ...
    async def list(
        self, *, prefix: str | None = None, limit: int = 1000, cursor: str | None = None
    ) -> KVListResult: ...

# -- R2

class R2Conditional(TypedDict, total=False):
    etagMatches: str
    etagDoesNotMatch: str
    uploadedBefore: datetime.datetime
    uploadedAfter: datetime.datetime

class R2Range(TypedDict, total=False):
    offset: int
    length: int
    suffix: int

class R2HTTPMetadata(TypedDict, total=False):
    contentType: str
    contentLanguage: str
    contentDisposition: str
    contentEncoding: str
    cacheControl: str
    cacheExpiry: datetime.datetime

class R2Object:
    key: str
    version: str
    size: int
    etag: str
    httpEtag: str
    storageClass: str
    uploaded: datetime.datetime
    checksums: Any
    httpMetadata: Any
    customMetadata: Any
    range: Any
    def writeHttpMetadata(self, headers: Any, /) -> None: ...

class R2ObjectBody(R2Object):
    body: ReadableStream
    bodyUsed: bool
    async def arrayBuffer(self) -> memoryview: ...
    async def text(self) -> str: ...
    async def json(self) -> Any: ...

class R2Objects(JsDict):
    objects: list[R2Object]
    truncated: bool
    cursor: str | None
    delimitedPrefixes: list[str]

class R2UploadedPart(JsDict):
    partNumber: int
    etag: str

class R2MultipartUpload:
    key: str
    uploadId: str
    async def uploadPart(self, part_number: int, value: BodyInit, /) -> R2UploadedPart: ...
    async def abort(self) -> None: ...
    async def complete(self, parts: list[R2UploadedPart], /) -> R2Object: ...

class R2Bucket:
    """An R2 bucket (`r2_buckets[]`)."""

    async def head(self, key: str, /) -> R2Object | None: ...
    @overload
    async def get(self, key: str, /, *, range: R2Range = ...) -> R2ObjectBody | None: ...
    @overload
    async def get(
        self, key: str, /, *, onlyIf: R2Conditional, range: R2Range = ...
    ) -> R2ObjectBody | R2Object | None: ...
    async def put(
        self,
        key: str,
        value: BodyInit | None,
        /,
        *,
        httpMetadata: R2HTTPMetadata = ...,
        customMetadata: Mapping[str, str] = ...,
        md5: str | bytes = ...,
        sha1: str | bytes = ...,
        sha256: str | bytes = ...,
        sha384: str | bytes = ...,
        sha512: str | bytes = ...,
        onlyIf: R2Conditional = ...,
        storageClass: str = ...,
    ) -> R2Object | None: ...
    async def delete(self, keys: str | list[str], /) -> None: ...
    async def list(
        self,
        *,
        prefix: str = ...,
        delimiter: str = ...,
        cursor: str = ...,
        limit: int = ...,
        startAfter: str = ...,
        include: list[Literal["httpMetadata", "customMetadata"]] = ...,
    ) -> R2Objects: ...
    async def createMultipartUpload(
        self,
        key: str,
        /,
        *,
        httpMetadata: R2HTTPMetadata = ...,
        customMetadata: Mapping[str, str] = ...,
    ) -> R2MultipartUpload: ...
    def resumeMultipartUpload(self, key: str, upload_id: str, /) -> R2MultipartUpload: ...

# -- Queues

QueueContentType: TypeAlias = Literal["text", "bytes", "json", "v8"]

class MessageSendRequest(TypedDict, total=False):
    body: Any
    contentType: QueueContentType
    delaySeconds: int

class Queue:
    """A queue producer (`queues.producers[]`)."""

    async def send(
        self, body: Any, /, *, contentType: QueueContentType = ..., delaySeconds: int = ...
    ) -> None: ...
    async def sendBatch(
        self, messages: Iterable[MessageSendRequest], /, *, delaySeconds: int = ...
    ) -> None: ...

class Message:
    """One message of a batch the Worker's `queue(self, batch)` handler receives."""

    id: str
    timestamp: datetime.datetime
    body: Any
    attempts: int
    def ack(self) -> None: ...
    def retry(self, *, delaySeconds: int = ...) -> None: ...

class MessageBatch:
    queue: str
    messages: list[Message]
    def ackAll(self) -> None: ...
    def retryAll(self, *, delaySeconds: int = ...) -> None: ...

# -- Durable Objects

class DurableObjectId:
    name: str | None
    def toString(self) -> str: ...
    def equals(self, other: DurableObjectId, /) -> bool: ...

class DurableObjectStub:
    """A stub: `await stub.method(...)` calls the object's public method over RPC."""

    id: DurableObjectId
    name: str | None
    async def fetch(self, resource: Any, /, **options: Any) -> Any: ...
    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]: ...

class DurableObjectNamespace:
    """A Durable Object namespace (`durable_objects.bindings[]`)."""

    def idFromName(self, name: str, /) -> DurableObjectId: ...
    def idFromString(self, id: str, /) -> DurableObjectId: ...
    def newUniqueId(self, *, jurisdiction: str = ...) -> DurableObjectId: ...
    def get(self, id: DurableObjectId, /, *, locationHint: str = ...) -> DurableObjectStub: ...
    def getByName(self, name: str, /) -> DurableObjectStub: ...
    def jurisdiction(self, jurisdiction: str, /) -> DurableObjectNamespace: ...

class SqlCursor(Iterator[JsDict]):
    columnNames: list[str]
    rowsRead: int
    rowsWritten: int
    def __next__(self) -> JsDict: ...
    def next(self) -> JsDict: ...
    def toArray(self) -> list[JsDict]: ...
    def one(self) -> JsDict: ...
    def raw(self) -> Iterator[list[Any]]: ...

class SqlStorage:
    databaseSize: int
    def exec(self, query: str, /, *bindings: D1Value) -> SqlCursor: ...

class DurableObjectStorage:
    sql: SqlStorage
    async def get(self, keys: str | list[str], /) -> Any: ...
    async def put(self, key: str | Mapping[str, Any], value: Any = ..., /) -> None: ...
    async def delete(self, keys: str | list[str], /) -> Any: ...
    async def list(
        self,
        *,
        start: str = ...,
        startAfter: str = ...,
        end: str = ...,
        prefix: str = ...,
        reverse: bool = ...,
        limit: int = ...,
    ) -> Any: ...
    async def deleteAll(self) -> None: ...
    async def getAlarm(self) -> float | None: ...
    async def setAlarm(self, scheduled: datetime.datetime | int | float, /) -> None: ...
    async def deleteAlarm(self) -> None: ...
    async def transaction(self, callback: Callable[[Any], Awaitable[_T]], /) -> _T: ...
    def transactionSync(self, callback: Callable[[], _T], /) -> _T: ...
    async def sync(self) -> None: ...

class DurableObjectState:
    """The `ctx` of a Durable Object."""

    id: DurableObjectId
    storage: DurableObjectStorage
    def waitUntil(self, promise: Awaitable[Any], /) -> None: ...
    async def blockConcurrencyWhile(self, callback: Callable[[], Awaitable[_T]], /) -> _T: ...

# -- Workers AI, services and static assets

class Ai:
    """The Workers AI binding (`ai`)."""

    async def run(self, model: str, inputs: Mapping[str, Any], /, **options: Any) -> Any: ...

class Fetcher:
    """A service binding, or the static assets binding: `await env.ASSETS.fetch(request)`."""

    async def fetch(self, resource: Any, /, **options: Any) -> Any: ...
    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]: ...
