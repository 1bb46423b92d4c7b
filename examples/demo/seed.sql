-- Seed data for `make demo`: a small catalogue and customer base for the
-- shop schema (examples/shop/schema.sql).
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

INSERT INTO customers (email, name, region)
SELECT 'customer' || g || '@example.com', 'Customer ' || g, CASE WHEN g % 10 < 7 THEN 'eu' ELSE 'us' END
FROM generate_series(1, 1000) g;

INSERT INTO products (sku, title, price_cents)
SELECT 'SKU-' || g, 'Product ' || g, 500 + g * 10 FROM generate_series(1, 200) g;

INSERT INTO inventory (product_id, on_hand) SELECT id, 1000000 FROM products;
INSERT INTO product_stats (product_id) SELECT id FROM products;

ANALYZE;
SELECT pg_stat_statements_reset();
