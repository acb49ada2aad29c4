from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClusterLogGroup(_message.Message):
    __slots__ = ("events", "writer", "term", "through_seq")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    WRITER_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    THROUGH_SEQ_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[ClusterLogEvent]
    writer: str
    term: int
    through_seq: int
    def __init__(self, events: _Optional[_Iterable[_Union[ClusterLogEvent, _Mapping]]] = ..., writer: _Optional[str] = ..., term: _Optional[int] = ..., through_seq: _Optional[int] = ...) -> None: ...

class ClusterLogEvent(_message.Message):
    __slots__ = ("position", "version", "type", "data", "recorded")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    position: int
    version: int
    type: str
    data: bytes
    recorded: float
    def __init__(self, position: _Optional[int] = ..., version: _Optional[int] = ..., type: _Optional[str] = ..., data: _Optional[bytes] = ..., recorded: _Optional[float] = ...) -> None: ...
