"""What the keyed audit trail costs: audited writes per second with and without it, and
`defcore server verify`'s time over the whole trail.

Run: .venv/bin/python benchmarks/trail_verify.py [--rows 5000] [--database URL]
Each audited write (a vendor membership, in its own transaction, as a request makes one) also
reads the row back, locks the trail's head and appends one HMAC'd entry; the baseline writes
the same rows to an unaudited table of the same shape (api tokens). Verify reads every entry,
recomputes every MAC and compares every audited row with its newest entry.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from defcore.server import trail
from defcore.server.db import make_engine, migrate, session_factory, transaction
from defcore.server.models import ApiToken, AuditEvent, User, Vendor, VendorMember


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--database", default=None, help="default: a new SQLite file")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="defcore-trail-bench-"))
    url = args.database or f"sqlite:///{folder / 'bench.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    key = secrets.token_hex(32).encode()
    factory = session_factory(engine)
    trail.configure(factory, key)
    with transaction(factory) as session:
        trail.seal(session, key)
        users = [User(name=f"bench-{secrets.token_hex(6)}") for _ in range(args.rows)]
        vendor = Vendor(name=f"bench-{secrets.token_hex(6)}")
        session.add_all([*users, vendor])
        session.flush()
        user_ids, vendor_id = [u.id for u in users], vendor.id

    start = time.perf_counter()
    for user_id in user_ids:
        with transaction(factory) as session:
            session.add(ApiToken(user_id=user_id, token_hash=secrets.token_hex(32)))
    plain = time.perf_counter() - start

    start = time.perf_counter()
    for user_id in user_ids:
        with transaction(factory) as session:
            session.add(VendorMember(vendor_id=vendor_id, user_id=user_id, role="member"))
    audited = time.perf_counter() - start

    start = time.perf_counter()
    with transaction(factory) as session:
        report = trail.verify(session, key)
        entries = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()))
    checked = time.perf_counter() - start
    assert report.intact, report.problems

    backend = engine.dialect.name
    print(f"database: {backend}, {args.rows} rows, one transaction each")
    print(f"unaudited writes: {args.rows / plain:8.0f}/s")
    print(f"audited writes:   {args.rows / audited:8.0f}/s  ({audited / plain:.2f}x the time)")
    print(
        f"verify:           {checked:8.2f} s for {entries} entries "
        f"({(entries or 0) / checked:.0f} entries/s)"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
