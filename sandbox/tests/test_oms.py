"""The OMS sandbox: a deterministic, internally consistent Solidus database, and writes to it
that an updated_at copy can find."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sandbox.oms import END, TABLE_NAMES, OmsError, seed, touch

from sandbox import cli

SCALE = 0.2


def fingerprints(db) -> dict[str, str]:
    """md5 over every row of every table, in id order."""
    return {
        name: db.query(f"SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM {name} t")[0][0]
        for name in TABLE_NAMES
    }


def newest_ids(db) -> dict[str, set[int]]:
    return {
        name: {
            row[0]
            for row in db.query(
                f"SELECT id FROM {name} WHERE updated_at = (SELECT max(updated_at) FROM {name})"
            )
        }
        for name in TABLE_NAMES
    }


def assert_orders_add_up(db) -> None:
    """Totals hold as Solidus' OrderUpdater leaves them (the sandbox has no taxes)."""
    broken = db.query(
        """
        SELECT o.number
        FROM spree_orders o
        LEFT JOIN (SELECT order_id, sum(quantity * price) AS items, sum(quantity) AS n,
                          sum(promo_total) AS promo
                   FROM spree_line_items GROUP BY 1) li ON li.order_id = o.id
        LEFT JOIN (SELECT order_id, sum(amount) AS promo
                   FROM spree_adjustments GROUP BY 1) a ON a.order_id = o.id
        LEFT JOIN (SELECT order_id, sum(cost) AS cost, sum(promo_total) AS promo
                   FROM spree_shipments GROUP BY 1) s ON s.order_id = o.id
        LEFT JOIN (SELECT p.order_id, sum(p.amount) - coalesce(sum(r.refunded), 0) AS paid
                   FROM spree_payments p
                   LEFT JOIN (SELECT payment_id, sum(amount) AS refunded
                              FROM spree_refunds GROUP BY 1) r ON r.payment_id = p.id
                   WHERE p.state = 'completed' GROUP BY 1) p ON p.order_id = o.id
        WHERE o.item_total <> li.items
           OR o.item_count <> li.n
           OR o.promo_total <> coalesce(a.promo, 0)
           OR o.adjustment_total <> o.promo_total
           OR o.shipment_total <> coalesce(s.cost, 0)
           OR o.total <> o.item_total + o.shipment_total + o.adjustment_total
           OR o.payment_total <> coalesce(p.paid, 0)
           OR (o.state IN ('complete', 'canceled')) <> (o.completed_at IS NOT NULL)
           OR o.updated_at < o.created_at
        """
    )
    assert broken == []
    # Line-item and shipment promo totals are their own adjustments.
    for table, kind in (
        ("spree_line_items", "Spree::LineItem"),
        ("spree_shipments", "Spree::Shipment"),
    ):
        assert (
            db.query(
                f"""
                SELECT count(*) FROM {table} x
                WHERE x.promo_total <> coalesce((SELECT sum(amount) FROM spree_adjustments a
                    WHERE a.adjustable_type = '{kind}' AND a.adjustable_id = x.id), 0)
                """
            )[0][0]
            == 0
        )


def test_seed_is_deterministic_consistent_and_scaled(oms_database):
    counts = oms_database.seed(seed=7, scale=SCALE)
    assert counts["spree_orders"] == 100
    assert counts["spree_users"] == 40
    assert counts["spree_products"] == 6
    assert all(counts[name] > 0 for name in TABLE_NAMES), counts
    first = fingerprints(oms_database)
    assert_orders_add_up(oms_database)

    assert oms_database.seed(seed=7, scale=SCALE, replace=True) == counts
    assert fingerprints(oms_database) == first
    oms_database.seed(seed=8, scale=SCALE, replace=True)
    assert fingerprints(oms_database)["spree_orders"] != first["spree_orders"]

    # Seeded history lies in the past; each table's newest instant (a reader's first
    # bookmark) is shared by several rows, so a `>=` reader re-reads a tie group there.
    counts = oms_database.truth()["rows"]
    for name, ids in newest_ids(oms_database).items():
        assert len(ids) == min(3, counts[name]), name
    newest = max(v for v in oms_database.truth()["max_updated_at"].values())
    assert datetime.fromisoformat(newest) <= END


def test_the_seconds_before_each_bookmark_are_dense_with_a_batch_job(oms_database):
    oms_database.seed(seed=7, scale=0.4)
    for table in ("spree_line_items", "spree_adjustments", "spree_orders", "spree_addresses"):
        rows = oms_database.query(
            f"""
            WITH top AS (SELECT max(updated_at) AS m FROM {table})
            SELECT extract(epoch FROM date_trunc('second', top.m)
                                      - date_trunc('second', t.updated_at))::int,
                   count(*), count(DISTINCT t.updated_at)
            FROM {table} t, top
            WHERE t.updated_at > top.m - interval '60 seconds' AND t.updated_at < top.m
            GROUP BY 1 ORDER BY 1
            """
        )
        per_second = {back: (n, distinct) for back, n, distinct in rows}
        assert per_second[1][0] >= 3, table  # the second before the bookmark's
        assert sum(1 for back in range(1, 7) if back in per_second) >= 5, table  # continuous
        # one batch job: many rows on one identical instant
        assert any(n >= 10 and distinct == 1 for n, distinct in per_second.values()), table
        broken = oms_database.query(f"SELECT count(*) FROM {table} WHERE updated_at < created_at")
        assert broken == [(0,)], table


def test_seed_mixes_the_states_an_oms_has(oms_database):
    oms_database.seed(seed=1, scale=1)
    states = dict(oms_database.query("SELECT state, count(*) FROM spree_orders GROUP BY 1"))
    assert states["complete"] > 300 and states["canceled"] > 0
    assert set(states) - {"complete", "canceled"}, "carts / checkouts in progress"
    assert set(dict(oms_database.query("SELECT state, 1 FROM spree_payments"))) >= {
        "completed",
        "failed",
        "void",
    }
    assert oms_database.query("SELECT count(*) FROM spree_orders WHERE user_id IS NULL")[0][0] > 0
    kinds = {row[0] for row in oms_database.query("SELECT adjustable_type FROM spree_adjustments")}
    assert kinds == {"Spree::Order", "Spree::LineItem", "Spree::Shipment"}
    assert oms_database.query("SELECT count(*) FROM spree_refunds")[0][0] > 0
    discontinued = "SELECT count(*) FROM spree_products WHERE deleted_at IS NOT NULL"
    assert oms_database.query(discontinued)[0][0] > 0


def test_seed_refuses_to_overwrite_an_existing_oms(oms_database):
    oms_database.seed(scale=SCALE)
    with pytest.raises(OmsError, match="spree_\\* tables already exist"):
        oms_database.seed(scale=SCALE)


def test_touch_writes_exactly_what_truth_reports_since_the_bookmark(oms_database):
    oms_database.seed(seed=2, scale=SCALE)
    before = oms_database.truth()
    at_bookmark = newest_ids(oms_database)

    changes = oms_database.touch(seed=2, updates=4, new_orders=3, new_users=2)
    after = oms_database.truth(since=before["max_updated_at"])
    for name in TABLE_NAMES:
        assert len(changes.updated[name]) == min(4, before["rows"][name])
        assert after["rows"][name] == before["rows"][name] + len(changes.inserted[name])
        # `>= bookmark` finds every written row, and the row the bookmark itself points at.
        assert set(after["changed"][name]) == changes.ids(name) | at_bookmark[name], name
    assert len(changes.inserted["spree_orders"]) == 3
    assert len(changes.inserted["spree_users"]) == 2
    assert changes.inserted["spree_line_items"] and changes.inserted["spree_payments"]
    # New orders are complete, unshipped, and add up; nothing is stamped in the future.
    assert_orders_add_up(oms_database)
    new = oms_database.query(
        "SELECT state, shipment_state, payment_state FROM spree_orders WHERE id = ANY(%s)",
        (changes.inserted["spree_orders"],),
    )
    assert set(new) == {("complete", "ready", "paid")}
    now = oms_database.query("SELECT clock_timestamp()")[0][0]
    assert all(datetime.fromisoformat(v) <= now for v in after["max_updated_at"].values())


def test_touch_picks_the_same_rows_for_the_same_seed(oms_database):
    oms_database.seed(seed=3, scale=SCALE)
    first = oms_database.touch(seed=9)
    oms_database.seed(seed=3, scale=SCALE, replace=True)
    assert oms_database.touch(seed=9) == first
    oms_database.seed(seed=3, scale=SCALE, replace=True)
    assert oms_database.touch(seed=10).updated != first.updated


def test_any_update_bumps_updated_at_unless_it_sets_it(oms_database):
    oms_database.seed(scale=SCALE)
    with oms_database.connect() as conn:
        conn.execute("UPDATE spree_orders SET email = 'new@example.com' WHERE id = 1")
        conn.execute(
            "UPDATE spree_orders SET email = 'old@example.com', "
            "updated_at = '2024-01-01T00:00:00Z' WHERE id = 2"
        )
    (bumped,), (kept,) = oms_database.query(
        "SELECT updated_at > now() - interval '1 minute' FROM spree_orders "
        "WHERE id IN (1, 2) ORDER BY id"
    )
    assert bumped and not kept


def test_library_calls_share_the_callers_transaction(oms_database):
    with oms_database.connect() as conn:
        seed(conn, scale=SCALE)
        conn.rollback()
    assert oms_database.query(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'spree_orders'"
    ) == [(0,)]
    with oms_database.connect() as conn:
        seed(conn, scale=SCALE)
        touch(conn)
    assert oms_database.truth()["rows"]["spree_orders"] == 100 + 2


def test_cli_seed_touch_truth(oms_database, capsys):
    dsn = oms_database.url
    assert cli.main(["oms", "seed", "--dsn", dsn, "--seed", "4", "--scale", str(SCALE)]) == 0
    seeded = json.loads(capsys.readouterr().out)
    assert seeded["spree_orders"] == 100

    assert cli.main(["oms", "truth", "--dsn", dsn]) == 0
    truth = json.loads(capsys.readouterr().out)
    assert truth["rows"] == seeded
    assert set(truth["totals"]) >= {"completed_order_total", "refund_amount"}

    assert cli.main(["oms", "touch", "--dsn", dsn, "--updates", "2", "--new-orders", "1"]) == 0
    changes = json.loads(capsys.readouterr().out)
    assert len(changes["spree_orders"]["updated"]) == 2
    assert len(changes["spree_orders"]["inserted"]) == 1

    since = datetime.now(UTC).replace(year=2020).isoformat()
    assert cli.main(["oms", "truth", "--dsn", dsn, "--since", since]) == 0
    assert len(json.loads(capsys.readouterr().out)["changed"]["spree_orders"]) == 101

    assert cli.main(["oms", "seed", "--dsn", dsn]) == 2
    assert "pass replace=True (--replace)" in capsys.readouterr().err


def test_cli_unreachable_database_is_one_line_without_the_password(capsys):
    dsn = "postgresql://svc:hunter2@127.0.0.1:1/oms"
    assert cli.main(["oms", "truth", "--dsn", dsn]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sandbox: OMS at postgresql://svc:***@127.0.0.1:1/oms: ")
    assert err.count("\n") == 1 and "hunter2" not in err
