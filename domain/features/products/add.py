"""Add products: register SKUs, each under a new id. SKUs are unique."""

from domain.contracts.inventory_pb2 import AddProductsReq, AddProductsResp, ProductAdded
from workbench.core import Code, Rejected, Transaction


def add_products(tx: Transaction, req: AddProductsReq) -> AddProductsResp:
    uids = []
    for sku in req.skus:
        if not sku:
            raise Rejected(Code.INVALID_ARGUMENT, "'sku' is empty")
        # Products added earlier in this request are already in the state.
        if tx.exists("SELECT 1 FROM products WHERE sku = ?", (sku,)):
            raise Rejected(Code.ALREADY_EXISTS, f"sku already exists: {sku}")
        uid = tx.new_id()
        tx.apply(ProductAdded(uid=uid, sku=sku))
        uids.append(uid)
    return AddProductsResp(uids=uids)


def product_added(db, event: ProductAdded) -> None:
    db.execute("INSERT INTO products(uid, sku) VALUES (?, ?)", (event.uid, event.sku))


HANDLERS = {AddProductsReq: add_products}
APPLIERS = {ProductAdded: product_added}
