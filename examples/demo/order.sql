-- pgbench script: a checkout. Popular products (exponential skew) make the
-- counter and stock rows hot; keys come from sequences; invoice numbers
-- are max()+1 under an advisory lock.
\set pid random_exponential(1, 200, 12)
\set cid random(1, 1000)
\set qty random(1, 3)
BEGIN;
UPDATE product_stats SET views = views + 1 WHERE product_id = :pid;
SELECT on_hand, reserved FROM inventory WHERE product_id = :pid FOR UPDATE;
UPDATE inventory SET on_hand = on_hand - :qty WHERE product_id = :pid;
INSERT INTO orders (customer_id, total_cents) VALUES (:cid, 1999 * :qty) RETURNING id AS order_id \gset
INSERT INTO order_items (order_id, product_id, qty) VALUES (:order_id, :pid, :qty);
SELECT pg_advisory_xact_lock(42);
UPDATE orders SET invoice_no = (SELECT coalesce(max(invoice_no), 0) + 1 FROM orders) WHERE id = :order_id;
INSERT INTO jobs (kind, payload) VALUES ('email', jsonb_build_object('order', :order_id));
INSERT INTO audit_log (actor, action, detail) VALUES ('web', 'checkout', jsonb_build_object('order', :order_id));
END;
