from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InstallScriptReq(_message.Message):
    __slots__ = ("hook", "source")
    HOOK_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    hook: str
    source: str
    def __init__(self, hook: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class InstallScriptResp(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: int
    def __init__(self, version: _Optional[int] = ...) -> None: ...

class ScriptInstalled(_message.Message):
    __slots__ = ("hook", "source", "version")
    HOOK_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    hook: str
    source: str
    version: int
    def __init__(self, hook: _Optional[str] = ..., source: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class RemoveScriptReq(_message.Message):
    __slots__ = ("hook",)
    HOOK_FIELD_NUMBER: _ClassVar[int]
    hook: str
    def __init__(self, hook: _Optional[str] = ...) -> None: ...

class RemoveScriptResp(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ScriptRemoved(_message.Message):
    __slots__ = ("hook", "version")
    HOOK_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    hook: str
    version: int
    def __init__(self, hook: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class ScriptOverran(_message.Message):
    __slots__ = ("hook", "version", "overruns", "reason")
    HOOK_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    OVERRUNS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    hook: str
    version: int
    overruns: int
    reason: str
    def __init__(self, hook: _Optional[str] = ..., version: _Optional[int] = ..., overruns: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class ScriptDisabled(_message.Message):
    __slots__ = ("hook", "version", "reason")
    HOOK_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    hook: str
    version: int
    reason: str
    def __init__(self, hook: _Optional[str] = ..., version: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class DefineReportReq(_message.Message):
    __slots__ = ("name", "locations", "descendants")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    DESCENDANTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    locations: _containers.RepeatedScalarFieldContainer[str]
    descendants: bool
    def __init__(self, name: _Optional[str] = ..., locations: _Optional[_Iterable[str]] = ..., descendants: _Optional[bool] = ...) -> None: ...

class DefineReportResp(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReportDefined(_message.Message):
    __slots__ = ("name", "locations", "descendants")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    DESCENDANTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    locations: _containers.RepeatedScalarFieldContainer[str]
    descendants: bool
    def __init__(self, name: _Optional[str] = ..., locations: _Optional[_Iterable[str]] = ..., descendants: _Optional[bool] = ...) -> None: ...

class GetReportReq(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetReportResp(_message.Message):
    __slots__ = ("lines",)
    class Line(_message.Message):
        __slots__ = ("location", "product", "on_hand", "reserved", "available")
        LOCATION_FIELD_NUMBER: _ClassVar[int]
        PRODUCT_FIELD_NUMBER: _ClassVar[int]
        ON_HAND_FIELD_NUMBER: _ClassVar[int]
        RESERVED_FIELD_NUMBER: _ClassVar[int]
        AVAILABLE_FIELD_NUMBER: _ClassVar[int]
        location: str
        product: str
        on_hand: int
        reserved: int
        available: int
        def __init__(self, location: _Optional[str] = ..., product: _Optional[str] = ..., on_hand: _Optional[int] = ..., reserved: _Optional[int] = ..., available: _Optional[int] = ...) -> None: ...
    LINES_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[GetReportResp.Line]
    def __init__(self, lines: _Optional[_Iterable[_Union[GetReportResp.Line, _Mapping]]] = ...) -> None: ...

class RemoveReportReq(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RemoveReportResp(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReportRemoved(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...
