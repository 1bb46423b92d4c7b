-- Workload of the shop application, as captured from the app's query log.

-- Sign-up: upsert by email (a secondary unique key).
INSERT INTO customers (email, name, region) VALUES ($1, $2, $3)
ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name;

-- Checkout: lock stock rows, then decrement.
SELECT on_hand, reserved FROM inventory WHERE product_id = $1 FOR UPDATE;
UPDATE inventory SET on_hand = on_hand - $2 WHERE product_id = $1;

-- Invoice numbers: next number from the table itself.
UPDATE orders SET invoice_no = (SELECT coalesce(max(invoice_no), 0) + 1 FROM orders) WHERE id = $1;

INSERT INTO orders (customer_id, total_cents) VALUES ($1, $2) RETURNING id;
INSERT INTO order_items (order_id, product_id, qty) VALUES ($1, $2, $3);

-- Page views.
UPDATE product_stats SET views = views + 1 WHERE product_id = $1;

-- Job queue worker.
SELECT pg_try_advisory_lock(42);
DELETE FROM jobs WHERE id = (SELECT id FROM jobs ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *;
INSERT INTO jobs (kind, payload) VALUES ('email', $1);
NOTIFY jobs_ready;

-- Nightly maintenance.
TRUNCATE sessions;
REFRESH MATERIALIZED VIEW top_products;
SELECT setval('orders_id_seq', (SELECT max(id) FROM orders));
