-- Seed data for the order-entry example: one warehouse, ten districts,
-- 300 customers per district, 1,000 items in stock.
INSERT INTO warehouse (w_id, w_name, w_tax) VALUES (1, 'main', 0.0800);
INSERT INTO district (d_w_id, d_id, d_name, d_tax, d_next_o_id)
SELECT 1, d, 'dist ' || d, 0.0500, 3001 FROM generate_series(1, 10) AS d;
INSERT INTO customer (c_w_id, c_d_id, c_id, c_last, c_credit, c_discount)
SELECT 1, d, c, 'customer' || c, 'GC', 0.0100 FROM generate_series(1, 10) AS d, generate_series(1, 300) AS c;
INSERT INTO item (i_id, i_name, i_price, i_data) SELECT i, 'item ' || i, 1 + i % 100, 'data' FROM generate_series(1, 1000) AS i;
INSERT INTO stock (s_w_id, s_i_id, s_quantity, s_data) SELECT 1, i, 100, 'data' FROM generate_series(1, 1000) AS i;
