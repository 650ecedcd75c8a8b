"""ACME Corp's database: one SQLite file with customers, products, orders and support records.

Run: ``python labs/acme/db.py [--reset]`` (or ``python -m acme.db``; no server needed)

Creates the database when it is missing and prints its path and the rows per table;
``--reset`` rebuilds it from the seed data, dropping every ticket, callback and refund written
since. A path that cannot be used prints one ``error: ... fix: ...`` line and exits 1.

Where: ``$ACME_DB`` when set, else ``.workshop/acme/acme.db`` under the repository root (which
``.gitignore`` keeps out of git). Every function takes ``path=None`` for that default.

Tables (money is always in integer cents, dates are ISO ``YYYY-MM-DD``, timestamps are UTC
``YYYY-MM-DDTHH:MM:SSZ``):

- ``customers``: id, name, email (unique, lower case), phone, tier (standard/silver/gold);
- ``products``: sku (e.g. ``RAKE-01``), name, category (rakes/hoses/shears/gloves/planting/
  watering), price_cents, stock;
- ``orders``: order_id (``ACME-[0-9]{4}``), customer_id, status (placed/shipped/delivered/
  cancelled/returned), placed_on, shipped_on, carrier, tracking (the last three NULL until shipped);
- ``order_items``: order_id, sku, qty, unit_price_cents (the price paid, not today's price);
- ``tickets``: ticket_id (``T-0001``, assigned in order), customer_email, order_id (nullable),
  category (billing/shipping/product/account/other), priority (low/medium/high/urgent), summary,
  status (open/closed), created_at;
- ``callbacks``: id, customer_email, date, slot (morning/afternoon/evening), reason;
- ``refunds``: id, order_id, amount_cents, reason, created_at.

The seed data is fixed (no clock is read while seeding), so every fresh database is identical:
:func:`fingerprint` of two fresh databases is equal. Facts later labs rely on: order
``ACME-1042`` is Jane Doe's (``jane@example.com``), shipped with UPS, tracking
``1Z999AA10123456784``; see ``ORDERS`` for the rest.

Every query takes its values as ``?`` parameters; no value is ever formatted into SQL text.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = ROOT / ".workshop" / "acme" / "acme.db"
SCHEMA_VERSION = 1             # PRAGMA user_version of a current ACME database
APPLICATION_ID = 0x41434D45    # PRAGMA application_id: "ACME" in ASCII, marks the file as ours

TABLES = ("customers", "products", "orders", "order_items", "tickets", "callbacks", "refunds")
TIERS = ("standard", "silver", "gold")
PRODUCT_CATEGORIES = ("rakes", "hoses", "shears", "gloves", "planting", "watering")
ORDER_STATUSES = ("placed", "shipped", "delivered", "cancelled", "returned")
TICKET_CATEGORIES = ("billing", "shipping", "product", "account", "other")
PRIORITIES = ("low", "medium", "high", "urgent")
TICKET_STATUSES = ("open", "closed")
SLOTS = ("morning", "afternoon", "evening")


def _sql_in(values: tuple[str, ...]) -> str:
    """``('a', 'b')`` for a CHECK constraint; only ever called on the constants above."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


SCHEMA = f"""
CREATE TABLE customers (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    email   TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    phone   TEXT NOT NULL,
    tier    TEXT NOT NULL CHECK (tier IN {_sql_in(TIERS)})
);
CREATE TABLE products (
    sku         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    category    TEXT NOT NULL CHECK (category IN {_sql_in(PRODUCT_CATEGORIES)}),
    price_cents INTEGER NOT NULL CHECK (price_cents > 0),
    stock       INTEGER NOT NULL CHECK (stock >= 0)
);
CREATE TABLE orders (
    order_id    TEXT PRIMARY KEY CHECK (order_id GLOB 'ACME-[0-9][0-9][0-9][0-9]'),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    status      TEXT NOT NULL CHECK (status IN {_sql_in(ORDER_STATUSES)}),
    placed_on   TEXT NOT NULL,
    shipped_on  TEXT,
    carrier     TEXT,
    tracking    TEXT
);
CREATE TABLE order_items (
    order_id         TEXT NOT NULL REFERENCES orders(order_id),
    sku              TEXT NOT NULL REFERENCES products(sku),
    qty              INTEGER NOT NULL CHECK (qty > 0),
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents > 0),
    PRIMARY KEY (order_id, sku)
);
CREATE TABLE tickets (
    ticket_id      TEXT PRIMARY KEY CHECK (ticket_id GLOB 'T-[0-9][0-9][0-9][0-9]'),
    customer_email TEXT NOT NULL REFERENCES customers(email),
    order_id       TEXT REFERENCES orders(order_id),
    category       TEXT NOT NULL CHECK (category IN {_sql_in(TICKET_CATEGORIES)}),
    priority       TEXT NOT NULL CHECK (priority IN {_sql_in(PRIORITIES)}),
    summary        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN {_sql_in(TICKET_STATUSES)}),
    created_at     TEXT NOT NULL
);
CREATE TABLE callbacks (
    id             INTEGER PRIMARY KEY,
    customer_email TEXT NOT NULL REFERENCES customers(email),
    date           TEXT NOT NULL,
    slot           TEXT NOT NULL CHECK (slot IN {_sql_in(SLOTS)}),
    reason         TEXT NOT NULL,
    UNIQUE (customer_email, date, slot)
);
CREATE TABLE refunds (
    id           INTEGER PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES orders(order_id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    reason       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
"""

# --8<-- [start:seed]
CUSTOMERS = [  # (id, name, email, phone, tier); 555-01xx numbers are reserved for fiction
    (1, "Jane Doe", "jane@example.com", "+1-555-0101", "gold"),
    (2, "Raj Patel", "raj.patel@example.com", "+1-555-0102", "standard"),
    (3, "Li Wei", "li.wei@example.com", "+1-555-0103", "silver"),
    (4, "Maria Garcia", "maria.garcia@example.com", "+1-555-0104", "standard"),
    (5, "Tom Becker", "tom.becker@example.net", "+1-555-0105", "gold"),
    (6, "Aiko Tanaka", "aiko.tanaka@example.org", "+1-555-0106", "silver"),
]
PRODUCTS = [  # (sku, name, category, price_cents, stock)
    ("RAKE-01", "Leaf Rake, 24 tines", "rakes", 2499, 40),
    ("RAKE-02", "Steel Bow Rake", "rakes", 3299, 12),
    ("HOSE-01", "Garden Hose, 15 m", "hoses", 2999, 25),
    ("HOSE-02", "Expandable Hose, 30 m", "hoses", 4499, 0),
    ("NOZZLE-01", "Spray Nozzle, 8 patterns", "hoses", 1199, 75),
    ("SHEAR-01", "Hedge Shears", "shears", 3999, 18),
    ("SHEAR-02", "Bypass Pruning Shears", "shears", 1999, 60),
    ("GLOVE-01", "Gardening Gloves, medium", "gloves", 999, 100),
    ("TROWEL-01", "Hand Trowel", "planting", 1299, 35),
    ("CAN-01", "Watering Can, 10 L", "watering", 1799, 0),
]
ORDERS = [  # (order_id, customer_id, status, placed_on, shipped_on, carrier, tracking)
    ("ACME-1042", 1, "shipped", "2025-05-28", "2025-05-29", "UPS", "1Z999AA10123456784"),
    ("ACME-1043", 2, "delivered", "2025-05-20", "2025-05-21", "DHL", "JD014600003828"),
    ("ACME-1044", 3, "placed", "2025-06-02", None, None, None),
    ("ACME-1045", 4, "cancelled", "2025-05-25", None, None, None),
    ("ACME-1046", 1, "delivered", "2025-04-10", "2025-04-11", "FedEx", "612999AA10123456"),
    ("ACME-1047", 5, "returned", "2025-04-15", "2025-04-16", "UPS", "1Z999AA10123456791"),
    ("ACME-1048", 6, "shipped", "2025-05-30", "2025-05-31", "FedEx", "612999AA10123463"),
    ("ACME-1049", 2, "placed", "2025-06-03", None, None, None),
    ("ACME-1050", 5, "delivered", "2025-05-12", "2025-05-13", "USPS", "9400100000000000000017"),
    ("ACME-1051", 3, "shipped", "2025-06-01", "2025-06-02", "USPS", "9400100000000000000024"),
]
ORDER_ITEMS = [  # (order_id, sku, qty, unit_price_cents)
    ("ACME-1042", "RAKE-01", 1, 2499),
    ("ACME-1042", "GLOVE-01", 2, 999),
    ("ACME-1043", "HOSE-01", 1, 2999),
    ("ACME-1043", "NOZZLE-01", 1, 1199),
    ("ACME-1044", "SHEAR-01", 1, 3999),
    ("ACME-1045", "CAN-01", 2, 1799),
    ("ACME-1046", "SHEAR-02", 1, 1999),
    ("ACME-1046", "TROWEL-01", 1, 1299),
    ("ACME-1047", "HOSE-02", 1, 4499),
    ("ACME-1048", "RAKE-02", 1, 3299),
    ("ACME-1049", "GLOVE-01", 3, 999),
    ("ACME-1050", "SHEAR-01", 1, 3799),
    ("ACME-1051", "TROWEL-01", 2, 1299),
    ("ACME-1051", "GLOVE-01", 1, 999),
]
TICKETS = [  # (ticket_id, customer_email, order_id, category, priority, summary, status, created_at)
    ("T-0001", "jane@example.com", "ACME-1042", "shipping", "medium",
     "Asked when the leaf rake will arrive", "closed", "2025-05-30T10:15:00Z"),
    ("T-0002", "raj.patel@example.com", "ACME-1043", "product", "high",
     "Garden hose leaks at the tap connector", "open", "2025-05-24T16:40:00Z"),
]
CALLBACKS: list[tuple] = []  # (id, customer_email, date, slot, reason)
REFUNDS = [  # (id, order_id, amount_cents, reason, created_at): ACME-1047 was returned in full
    (1, "ACME-1047", 4499, "Returned unused within 30 days", "2025-04-28T09:00:00Z"),
]
# --8<-- [end:seed]


class AcmeDbError(RuntimeError):
    """A database that cannot be used as it is; the message ends with the command that fixes it."""


def db_path() -> Path:
    """The database file: ``$ACME_DB`` if set (relative to the current directory), else
    ``<repository>/.workshop/acme/acme.db``."""
    return Path(os.environ["ACME_DB"]) if os.environ.get("ACME_DB") else DEFAULT_PATH


def utc_now() -> datetime:
    """The current time in UTC; write tools use it when no time is passed in (tests pass one)."""
    return datetime.now(timezone.utc)


def timestamp(moment: datetime) -> str:
    """``moment`` as a UTC timestamp string ``YYYY-MM-DDTHH:MM:SSZ`` (naive datetimes are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _version(path: Path) -> int | None:
    """The schema version of the ACME database at ``path``; ``None`` when the file is not an
    ACME database (another SQLite file, or no SQLite file at all). Opens it read-only."""
    try:
        with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    return version if app_id == APPLICATION_ID else None


def _build(path: Path) -> None:
    """Write the schema and the seed rows into the new, empty database file ``path``."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript(SCHEMA)
        conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?)", CUSTOMERS)
        conn.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?)", PRODUCTS)
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)", ORDERS)
        conn.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?)", ORDER_ITEMS)
        conn.executemany("INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?)", TICKETS)
        conn.executemany("INSERT INTO callbacks VALUES (?, ?, ?, ?, ?)", CALLBACKS)
        conn.executemany("INSERT INTO refunds VALUES (?, ?, ?, ?, ?)", REFUNDS)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")  # PRAGMAs take no ? values
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
        conn.commit()


def create(path: str | os.PathLike | None = None, reset: bool = False) -> Path:
    """Make sure an ACME database exists at ``path`` (default :func:`db_path`); return its path.

    An existing current ACME database is left as it is (tickets, callbacks and refunds written by
    the tools survive), so calling this twice changes nothing. A missing or empty file, or, when
    ``reset=True``, any ACME database, is replaced by a fresh database with the seed data: it is
    built in a temporary file next to ``path`` and moved over it with ``os.replace``, so readers
    see the old or the new database, never half of one.

    Raises :class:`AcmeDbError` when ``path`` is a directory, lies under a file, or is a
    non-empty file that is not an ACME database (never overwritten, even with ``reset=True``)
    or, without ``reset``, one of another schema version; ``OSError`` when the folder cannot be
    written.
    """
    path = Path(path) if path is not None else db_path()
    if path.is_dir():
        raise AcmeDbError(f"{path} is a directory, not a database file. "
                          "fix: export ACME_DB=<a file path such as /tmp/acme.db>")
    if path.exists() and path.stat().st_size > 0:
        version = _version(path)
        if version is None:
            raise AcmeDbError(f"{path} is not an ACME database, so it is left alone. "
                              "fix: export ACME_DB=<another file path>, or delete the file "
                              "if it is a damaged ACME database")
        if version == SCHEMA_VERSION and not reset:
            return path
        if not reset:
            raise AcmeDbError(f"{path} is an ACME database of schema version {version}, not "
                              f"{SCHEMA_VERSION}. fix: python labs/acme/db.py --reset "
                              "(rebuilds it from the seed data)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise AcmeDbError(f"cannot create {path}: part of {path.parent} is a file, not a "
                          "folder. fix: export ACME_DB=<a file path such as /tmp/acme.db>") from None
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp_name, 0o644)  # mkstemp makes it private; the database is ordinary data
        _build(Path(tmp_name))
        _install(Path(tmp_name), path, replace=path.exists())
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    return path


def _install(built: Path, path: Path, replace: bool) -> None:
    """Move the finished database ``built`` to ``path`` in one step.

    Without ``replace``, a hard link creates ``path`` only if it is still absent, so when two
    processes create the database at once the first one wins and no write is lost to the second.
    """
    if not replace:
        try:
            os.link(built, path)
            return
        except FileExistsError:
            return  # another process created it meanwhile; keep theirs
        except OSError:
            pass  # a filesystem without hard links: fall back to replacing
    os.replace(built, path)


def connect(path: str | os.PathLike | None = None) -> sqlite3.Connection:
    """An open connection to the ACME database at ``path`` (default :func:`db_path`).

    Creates the database first when it is missing (see :func:`create`). Rows are
    ``sqlite3.Row`` (index them by column name), foreign keys are enforced, and the connection
    is in autocommit mode: group writes with :func:`transaction`. The caller closes it, e.g.
    ``with contextlib.closing(connect()) as conn: ...``.
    """
    path = create(path)
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception) on a :func:`connect`
    connection: the checks and the writes inside it see no other writer in between."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _primary_key(conn: sqlite3.Connection, table: str) -> list[str]:
    """The primary-key columns of ``table`` in key order (all columns if it has no key)."""
    info = conn.execute("SELECT name, pk FROM pragma_table_info(?)", (table,)).fetchall()
    key = [name for name, pk in sorted(info, key=lambda row: row[1]) if pk > 0]
    return key or [name for name, _ in info]


def _quote(identifier: str) -> str:
    """An SQL identifier in double quotes (identifiers cannot be ``?`` parameters)."""
    return '"' + identifier.replace('"', '""') + '"'


def dump(path: str | os.PathLike | None = None) -> dict[str, list[list]]:
    """Every table's rows, ordered by primary key: ``{"customers": [[1, "Jane Doe", ...], ...]}``.

    Opens the file read-only and never creates it; raises :class:`AcmeDbError` when it is
    missing. Table names come from ``sqlite_master``, never from a caller.
    """
    path = Path(path) if path is not None else db_path()
    if not path.is_file():
        raise AcmeDbError(f"no database at {path}. fix: python labs/acme/db.py")
    with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        tables = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {table: [list(row) for row in conn.execute(
                    f"SELECT * FROM {_quote(table)} ORDER BY "
                    + ", ".join(map(_quote, _primary_key(conn, table))))]
                for table in tables}


def fingerprint(path: str | os.PathLike | None = None) -> str:
    """SHA-256 (64 hex digits) of the schema and of :func:`dump`: equal fingerprints mean equal
    databases, whatever the file's bytes. Read-only; :class:`AcmeDbError` if the file is missing."""
    path = Path(path) if path is not None else db_path()
    rows = dump(path)
    with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
        canonical = {"schema": [list(row) for row in schema], "rows": rows,
                     "user_version": conn.execute("PRAGMA user_version").fetchone()[0]}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def counts(path: str | os.PathLike | None = None) -> dict[str, int]:
    """Rows per ACME table, e.g. ``{"customers": 6, ...}``, in ``TABLES`` order (read-only)."""
    rows = dump(path)
    return {table: len(rows[table]) for table in TABLES}


def main(argv: list[str] | None = None) -> int:
    import workshop  # the labs' one error/fix line for a bad option

    parser = workshop.ArgumentParser(description="Create ACME Corp's SQLite database "
                                     "($ACME_DB, default .workshop/acme/acme.db).")
    parser.add_argument("--reset", action="store_true",
                        help="rebuild it from the seed data (drops tickets, callbacks, refunds)")
    args = parser.parse_args(argv)
    path = db_path()
    try:
        create(path, reset=args.reset)
        per_table = counts(path)
    except AcmeDbError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error) as exc:
        print(f"error: cannot create the ACME database at {path} ({exc}). "
              "fix: export ACME_DB=<a writable file path such as /tmp/acme.db>", file=sys.stderr)
        return 1
    print(f"{'reset' if args.reset else 'ready'}: {path}")
    for table, n in per_table.items():
        print(f"  {table:12} {n:3} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
