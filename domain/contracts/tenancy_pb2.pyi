from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class CompactReq(_message.Message):
    __slots__ = ("tenant",)
    TENANT_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    def __init__(self, tenant: _Optional[str] = ...) -> None: ...

class CompactResp(_message.Message):
    __slots__ = ("events_before", "events_after", "bytes_before", "bytes_after", "fingerprint", "pause_seconds", "archive")
    EVENTS_BEFORE_FIELD_NUMBER: _ClassVar[int]
    EVENTS_AFTER_FIELD_NUMBER: _ClassVar[int]
    BYTES_BEFORE_FIELD_NUMBER: _ClassVar[int]
    BYTES_AFTER_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    PAUSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_FIELD_NUMBER: _ClassVar[int]
    events_before: int
    events_after: int
    bytes_before: int
    bytes_after: int
    fingerprint: str
    pause_seconds: float
    archive: str
    def __init__(self, events_before: _Optional[int] = ..., events_after: _Optional[int] = ..., bytes_before: _Optional[int] = ..., bytes_after: _Optional[int] = ..., fingerprint: _Optional[str] = ..., pause_seconds: _Optional[float] = ..., archive: _Optional[str] = ...) -> None: ...

class MigrateReq(_message.Message):
    __slots__ = ("tenant", "to")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    to: str
    def __init__(self, tenant: _Optional[str] = ..., to: _Optional[str] = ...) -> None: ...

class MigrateResp(_message.Message):
    __slots__ = ("events", "caught_up_live", "pause_seconds", "total_seconds")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    CAUGHT_UP_LIVE_FIELD_NUMBER: _ClassVar[int]
    PAUSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    events: int
    caught_up_live: int
    pause_seconds: float
    total_seconds: float
    def __init__(self, events: _Optional[int] = ..., caught_up_live: _Optional[int] = ..., pause_seconds: _Optional[float] = ..., total_seconds: _Optional[float] = ...) -> None: ...

class AdoptReq(_message.Message):
    __slots__ = ("tenant", "source", "epoch", "attempt")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    source: str
    epoch: int
    attempt: str
    def __init__(self, tenant: _Optional[str] = ..., source: _Optional[str] = ..., epoch: _Optional[int] = ..., attempt: _Optional[str] = ...) -> None: ...

class AdoptResp(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AdoptProgressReq(_message.Message):
    __slots__ = ("tenant", "position", "timeout_seconds", "finish", "attempt", "epoch")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FINISH_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    position: int
    timeout_seconds: float
    finish: bool
    attempt: str
    epoch: int
    def __init__(self, tenant: _Optional[str] = ..., position: _Optional[int] = ..., timeout_seconds: _Optional[float] = ..., finish: _Optional[bool] = ..., attempt: _Optional[str] = ..., epoch: _Optional[int] = ...) -> None: ...

class AdoptProgressResp(_message.Message):
    __slots__ = ("position", "finished", "error")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    position: int
    finished: bool
    error: str
    def __init__(self, position: _Optional[int] = ..., finished: _Optional[bool] = ..., error: _Optional[str] = ...) -> None: ...

class AbandonReq(_message.Message):
    __slots__ = ("tenant", "attempt", "epoch")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    attempt: str
    epoch: int
    def __init__(self, tenant: _Optional[str] = ..., attempt: _Optional[str] = ..., epoch: _Optional[int] = ...) -> None: ...

class AbandonResp(_message.Message):
    __slots__ = ("live",)
    LIVE_FIELD_NUMBER: _ClassVar[int]
    live: bool
    def __init__(self, live: _Optional[bool] = ...) -> None: ...

class HandoverReq(_message.Message):
    __slots__ = ("tenant",)
    TENANT_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    def __init__(self, tenant: _Optional[str] = ...) -> None: ...

class HandoverResp(_message.Message):
    __slots__ = ("state", "epoch", "attempt", "peer", "position", "moved")
    STATE_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    MOVED_FIELD_NUMBER: _ClassVar[int]
    state: str
    epoch: int
    attempt: str
    peer: str
    position: int
    moved: bool
    def __init__(self, state: _Optional[str] = ..., epoch: _Optional[int] = ..., attempt: _Optional[str] = ..., peer: _Optional[str] = ..., position: _Optional[int] = ..., moved: _Optional[bool] = ...) -> None: ...
