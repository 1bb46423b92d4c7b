-- pgbench script: a product page view bumps a counter in place.
\set pid random_exponential(1, 200, 12)
UPDATE product_stats SET views = views + 1 WHERE product_id = :pid;
