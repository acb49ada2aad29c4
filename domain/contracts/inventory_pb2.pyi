from google.protobuf import any_pb2 as _any_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AboutRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AboutResponse(_message.Message):
    __slots__ = ("author", "detail", "contact")
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    author: str
    detail: str
    contact: str
    def __init__(self, author: _Optional[str] = ..., detail: _Optional[str] = ..., contact: _Optional[str] = ...) -> None: ...

class SpecRequest(_message.Message):
    __slots__ = ("given", "when", "NextUid")
    GIVEN_FIELD_NUMBER: _ClassVar[int]
    WHEN_FIELD_NUMBER: _ClassVar[int]
    NEXTUID_FIELD_NUMBER: _ClassVar[int]
    given: _containers.RepeatedCompositeFieldContainer[_any_pb2.Any]
    when: _any_pb2.Any
    NextUid: str
    def __init__(self, given: _Optional[_Iterable[_Union[_any_pb2.Any, _Mapping]]] = ..., when: _Optional[_Union[_any_pb2.Any, _Mapping]] = ..., NextUid: _Optional[str] = ...) -> None: ...

class SpecResponse(_message.Message):
    __slots__ = ("response", "events", "status", "error")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    response: _any_pb2.Any
    events: _containers.RepeatedCompositeFieldContainer[_any_pb2.Any]
    status: int
    error: str
    def __init__(self, response: _Optional[_Union[_any_pb2.Any, _Mapping]] = ..., events: _Optional[_Iterable[_Union[_any_pb2.Any, _Mapping]]] = ..., status: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class AddLocationsReq(_message.Message):
    __slots__ = ("locs", "parent")
    class Loc(_message.Message):
        __slots__ = ("name", "locs")
        NAME_FIELD_NUMBER: _ClassVar[int]
        LOCS_FIELD_NUMBER: _ClassVar[int]
        name: str
        locs: _containers.RepeatedCompositeFieldContainer[AddLocationsReq.Loc]
        def __init__(self, name: _Optional[str] = ..., locs: _Optional[_Iterable[_Union[AddLocationsReq.Loc, _Mapping]]] = ...) -> None: ...
    LOCS_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    locs: _containers.RepeatedCompositeFieldContainer[AddLocationsReq.Loc]
    parent: str
    def __init__(self, locs: _Optional[_Iterable[_Union[AddLocationsReq.Loc, _Mapping]]] = ..., parent: _Optional[str] = ...) -> None: ...

class AddLocationsResp(_message.Message):
    __slots__ = ("locs",)
    class Loc(_message.Message):
        __slots__ = ("name", "uid", "parent", "locs")
        NAME_FIELD_NUMBER: _ClassVar[int]
        UID_FIELD_NUMBER: _ClassVar[int]
        PARENT_FIELD_NUMBER: _ClassVar[int]
        LOCS_FIELD_NUMBER: _ClassVar[int]
        name: str
        uid: str
        parent: str
        locs: _containers.RepeatedCompositeFieldContainer[AddLocationsResp.Loc]
        def __init__(self, name: _Optional[str] = ..., uid: _Optional[str] = ..., parent: _Optional[str] = ..., locs: _Optional[_Iterable[_Union[AddLocationsResp.Loc, _Mapping]]] = ...) -> None: ...
    LOCS_FIELD_NUMBER: _ClassVar[int]
    locs: _containers.RepeatedCompositeFieldContainer[AddLocationsResp.Loc]
    def __init__(self, locs: _Optional[_Iterable[_Union[AddLocationsResp.Loc, _Mapping]]] = ...) -> None: ...

class MoveLocationReq(_message.Message):
    __slots__ = ("uid", "newParent")
    UID_FIELD_NUMBER: _ClassVar[int]
    NEWPARENT_FIELD_NUMBER: _ClassVar[int]
    uid: str
    newParent: str
    def __init__(self, uid: _Optional[str] = ..., newParent: _Optional[str] = ...) -> None: ...

class MoveLocationResp(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AddProductsReq(_message.Message):
    __slots__ = ("skus",)
    SKUS_FIELD_NUMBER: _ClassVar[int]
    skus: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, skus: _Optional[_Iterable[str]] = ...) -> None: ...

class AddProductsResp(_message.Message):
    __slots__ = ("uids",)
    UIDS_FIELD_NUMBER: _ClassVar[int]
    uids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, uids: _Optional[_Iterable[str]] = ...) -> None: ...

class UpdateInventoryReq(_message.Message):
    __slots__ = ("location", "product", "OnHandChange")
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    ONHANDCHANGE_FIELD_NUMBER: _ClassVar[int]
    location: str
    product: str
    OnHandChange: int
    def __init__(self, location: _Optional[str] = ..., product: _Optional[str] = ..., OnHandChange: _Optional[int] = ...) -> None: ...

class UpdateInventoryResp(_message.Message):
    __slots__ = ("OnHand",)
    ONHAND_FIELD_NUMBER: _ClassVar[int]
    OnHand: int
    def __init__(self, OnHand: _Optional[int] = ...) -> None: ...

class ListLocationsReq(_message.Message):
    __slots__ = ("location",)
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    location: str
    def __init__(self, location: _Optional[str] = ...) -> None: ...

class ListLocationsResp(_message.Message):
    __slots__ = ("locs",)
    class Loc(_message.Message):
        __slots__ = ("name", "uid", "parent", "chidren")
        NAME_FIELD_NUMBER: _ClassVar[int]
        UID_FIELD_NUMBER: _ClassVar[int]
        PARENT_FIELD_NUMBER: _ClassVar[int]
        CHIDREN_FIELD_NUMBER: _ClassVar[int]
        name: str
        uid: str
        parent: str
        chidren: _containers.RepeatedCompositeFieldContainer[ListLocationsResp.Loc]
        def __init__(self, name: _Optional[str] = ..., uid: _Optional[str] = ..., parent: _Optional[str] = ..., chidren: _Optional[_Iterable[_Union[ListLocationsResp.Loc, _Mapping]]] = ...) -> None: ...
    LOCS_FIELD_NUMBER: _ClassVar[int]
    locs: _containers.RepeatedCompositeFieldContainer[ListLocationsResp.Loc]
    def __init__(self, locs: _Optional[_Iterable[_Union[ListLocationsResp.Loc, _Mapping]]] = ...) -> None: ...

class GetLocInventoryReq(_message.Message):
    __slots__ = ("location",)
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    location: str
    def __init__(self, location: _Optional[str] = ...) -> None: ...

class GetLocInventoryResp(_message.Message):
    __slots__ = ("items",)
    class Item(_message.Message):
        __slots__ = ("Product", "OnHand", "Available")
        PRODUCT_FIELD_NUMBER: _ClassVar[int]
        ONHAND_FIELD_NUMBER: _ClassVar[int]
        AVAILABLE_FIELD_NUMBER: _ClassVar[int]
        Product: str
        OnHand: int
        Available: int
        def __init__(self, Product: _Optional[str] = ..., OnHand: _Optional[int] = ..., Available: _Optional[int] = ...) -> None: ...
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[GetLocInventoryResp.Item]
    def __init__(self, items: _Optional[_Iterable[_Union[GetLocInventoryResp.Item, _Mapping]]] = ...) -> None: ...

class ReserveReq(_message.Message):
    __slots__ = ("reservation", "items", "tags", "location")
    class Item(_message.Message):
        __slots__ = ("sku", "quantity")
        SKU_FIELD_NUMBER: _ClassVar[int]
        QUANTITY_FIELD_NUMBER: _ClassVar[int]
        sku: str
        quantity: int
        def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    reservation: str
    items: _containers.RepeatedCompositeFieldContainer[ReserveReq.Item]
    tags: _containers.ScalarMap[str, str]
    location: str
    def __init__(self, reservation: _Optional[str] = ..., items: _Optional[_Iterable[_Union[ReserveReq.Item, _Mapping]]] = ..., tags: _Optional[_Mapping[str, str]] = ..., location: _Optional[str] = ...) -> None: ...

class ReserveResp(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: str
    def __init__(self, reservation: _Optional[str] = ...) -> None: ...

class FulfillReq(_message.Message):
    __slots__ = ("reservation", "items")
    class Item(_message.Message):
        __slots__ = ("product", "location", "quantity")
        PRODUCT_FIELD_NUMBER: _ClassVar[int]
        LOCATION_FIELD_NUMBER: _ClassVar[int]
        QUANTITY_FIELD_NUMBER: _ClassVar[int]
        product: str
        location: str
        quantity: int
        def __init__(self, product: _Optional[str] = ..., location: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    reservation: str
    items: _containers.RepeatedCompositeFieldContainer[FulfillReq.Item]
    def __init__(self, reservation: _Optional[str] = ..., items: _Optional[_Iterable[_Union[FulfillReq.Item, _Mapping]]] = ...) -> None: ...

class FulfillResp(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class LocationAdded(_message.Message):
    __slots__ = ("uid", "name", "parent")
    UID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    uid: str
    name: str
    parent: str
    def __init__(self, uid: _Optional[str] = ..., name: _Optional[str] = ..., parent: _Optional[str] = ...) -> None: ...

class LocationMoved(_message.Message):
    __slots__ = ("uid", "oldParent", "newParent")
    UID_FIELD_NUMBER: _ClassVar[int]
    OLDPARENT_FIELD_NUMBER: _ClassVar[int]
    NEWPARENT_FIELD_NUMBER: _ClassVar[int]
    uid: str
    oldParent: str
    newParent: str
    def __init__(self, uid: _Optional[str] = ..., oldParent: _Optional[str] = ..., newParent: _Optional[str] = ...) -> None: ...

class ProductAdded(_message.Message):
    __slots__ = ("uid", "sku")
    UID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    uid: str
    sku: str
    def __init__(self, uid: _Optional[str] = ..., sku: _Optional[str] = ...) -> None: ...

class InventoryUpdated(_message.Message):
    __slots__ = ("location", "product", "OnHandChange", "OnHand")
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    ONHANDCHANGE_FIELD_NUMBER: _ClassVar[int]
    ONHAND_FIELD_NUMBER: _ClassVar[int]
    location: str
    product: str
    OnHandChange: int
    OnHand: int
    def __init__(self, location: _Optional[str] = ..., product: _Optional[str] = ..., OnHandChange: _Optional[int] = ..., OnHand: _Optional[int] = ...) -> None: ...

class Reserved(_message.Message):
    __slots__ = ("reservation", "code", "items")
    class Item(_message.Message):
        __slots__ = ("product", "quantity", "location")
        PRODUCT_FIELD_NUMBER: _ClassVar[int]
        QUANTITY_FIELD_NUMBER: _ClassVar[int]
        LOCATION_FIELD_NUMBER: _ClassVar[int]
        product: str
        quantity: int
        location: str
        def __init__(self, product: _Optional[str] = ..., quantity: _Optional[int] = ..., location: _Optional[str] = ...) -> None: ...
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    reservation: str
    code: str
    items: _containers.RepeatedCompositeFieldContainer[Reserved.Item]
    def __init__(self, reservation: _Optional[str] = ..., code: _Optional[str] = ..., items: _Optional[_Iterable[_Union[Reserved.Item, _Mapping]]] = ...) -> None: ...

class Fulfilled(_message.Message):
    __slots__ = ("reservation", "items")
    class Item(_message.Message):
        __slots__ = ("product", "location", "removed", "onHand")
        PRODUCT_FIELD_NUMBER: _ClassVar[int]
        LOCATION_FIELD_NUMBER: _ClassVar[int]
        REMOVED_FIELD_NUMBER: _ClassVar[int]
        ONHAND_FIELD_NUMBER: _ClassVar[int]
        product: str
        location: str
        removed: int
        onHand: int
        def __init__(self, product: _Optional[str] = ..., location: _Optional[str] = ..., removed: _Optional[int] = ..., onHand: _Optional[int] = ...) -> None: ...
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    reservation: str
    items: _containers.RepeatedCompositeFieldContainer[Fulfilled.Item]
    def __init__(self, reservation: _Optional[str] = ..., items: _Optional[_Iterable[_Union[Fulfilled.Item, _Mapping]]] = ...) -> None: ...

class Cancelled(_message.Message):
    __slots__ = ("reservation", "items")
    class Item(_message.Message):
        __slots__ = ("product", "location", "released")
        PRODUCT_FIELD_NUMBER: _ClassVar[int]
        LOCATION_FIELD_NUMBER: _ClassVar[int]
        RELEASED_FIELD_NUMBER: _ClassVar[int]
        product: str
        location: str
        released: int
        def __init__(self, product: _Optional[str] = ..., location: _Optional[str] = ..., released: _Optional[int] = ...) -> None: ...
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    reservation: str
    items: _containers.RepeatedCompositeFieldContainer[Cancelled.Item]
    def __init__(self, reservation: _Optional[str] = ..., items: _Optional[_Iterable[_Union[Cancelled.Item, _Mapping]]] = ...) -> None: ...
