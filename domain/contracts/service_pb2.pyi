from google.protobuf import any_pb2 as _any_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FollowReq(_message.Message):
    __slots__ = ("after", "stop_at_end")
    AFTER_FIELD_NUMBER: _ClassVar[int]
    STOP_AT_END_FIELD_NUMBER: _ClassVar[int]
    after: int
    stop_at_end: bool
    def __init__(self, after: _Optional[int] = ..., stop_at_end: _Optional[bool] = ...) -> None: ...

class LoggedEvent(_message.Message):
    __slots__ = ("position", "version", "event", "recorded")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    position: int
    version: int
    event: _any_pb2.Any
    recorded: float
    def __init__(self, position: _Optional[int] = ..., version: _Optional[int] = ..., event: _Optional[_Union[_any_pb2.Any, _Mapping]] = ..., recorded: _Optional[float] = ...) -> None: ...

class CreateTenantReq(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class CreateTenantResp(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class ListTenantsReq(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTenantsResp(_message.Message):
    __slots__ = ("names",)
    NAMES_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, names: _Optional[_Iterable[str]] = ...) -> None: ...
