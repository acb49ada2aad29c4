-- The state of one tenant's inventory: a projection of its events.
-- Every table is written only by the appliers in domain/features.

-- The location tree. The root (all zeros) always exists and has no parent.
-- Listings follow creation order: the rowid.
CREATE TABLE locations (
  uid    TEXT PRIMARY KEY,
  name   TEXT NOT NULL,
  parent TEXT REFERENCES locations(uid));
CREATE UNIQUE INDEX locations_name_in_parent ON locations(parent, name);

-- Closure of the tree: one row for every location and each of its ancestors,
-- itself included at depth 0. Subtree and ancestor questions become one lookup.
CREATE TABLE ancestry (
  location TEXT NOT NULL,
  ancestor TEXT NOT NULL,
  depth    INTEGER NOT NULL,
  PRIMARY KEY (location, ancestor)
) WITHOUT ROWID;
CREATE INDEX ancestry_by_ancestor ON ancestry(ancestor, location);

CREATE TABLE products (
  uid TEXT PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE);

-- Stock physically stored at a location (not counting its sub-locations).
CREATE TABLE stock (
  location TEXT NOT NULL,
  product  TEXT NOT NULL,
  on_hand  INTEGER NOT NULL,
  PRIMARY KEY (location, product)
) WITHOUT ROWID;

-- Per location and product, sums over the location's whole subtree: stock on
-- hand, and quantity held by open reservations placed in that subtree.
-- Kept up to date by the appliers so that reads and checks never walk the tree.
CREATE TABLE subtree_totals (
  location TEXT NOT NULL,
  product  TEXT NOT NULL,
  on_hand  INTEGER NOT NULL DEFAULT 0,
  reserved INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (location, product)
) WITHOUT ROWID;

CREATE TABLE reservations (
  uid  TEXT PRIMARY KEY,
  code TEXT NOT NULL UNIQUE);

-- What an open reservation still holds, per product and the location it was
-- placed on (stock may come from anywhere below that location).
CREATE TABLE reservation_items (
  reservation TEXT NOT NULL,
  product     TEXT NOT NULL,
  location    TEXT NOT NULL,
  quantity    INTEGER NOT NULL,
  PRIMARY KEY (reservation, product, location)
) WITHOUT ROWID;

INSERT INTO locations(uid, name, parent) VALUES ('00000000-0000-0000-0000-000000000000', '', NULL);
INSERT INTO ancestry(location, ancestor, depth) VALUES ('00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000000', 0);

-- Tenant scripts (domain/scripting): the Lua source installed on each hook.
-- A removed script keeps its row with no source, so versions keep counting.
CREATE TABLE scripts (
  hook    TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  source  TEXT
) WITHOUT ROWID;

-- How often the installed version of a hook's script went over its bounds
-- (domain/scripting/overruns.py). Made by its applier when missing, so
-- states made before it existed keep working.
CREATE TABLE IF NOT EXISTS script_overruns (
  hook     TEXT PRIMARY KEY,
  version  INTEGER NOT NULL,
  overruns INTEGER NOT NULL
) WITHOUT ROWID;

-- Reports (domain/features/reports): a name, the locations listed, and whether
-- everything below them is covered too. The figures come from subtree_totals.
CREATE TABLE reports (
  name        TEXT PRIMARY KEY,
  descendants INTEGER NOT NULL);

CREATE TABLE report_locations (
  report   TEXT NOT NULL,
  location TEXT NOT NULL,
  PRIMARY KEY (report, location)
) WITHOUT ROWID;
