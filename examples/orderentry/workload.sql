-- One round of the order-entry transactions with real values, for psql:
--   psql -v w=1 -v d=3 -v c=42 -f examples/orderentry/workload.sql
-- (queries.sql is the same workload as the application sends it, with $n
-- for the values.)
\set ON_ERROR_STOP on

-- New-Order: the district hands out the order number.
BEGIN;
UPDATE district SET d_next_o_id = d_next_o_id + 1
 WHERE d_w_id = :w AND d_id = :d
 RETURNING d_next_o_id - 1 AS o_id, d_tax \gset
INSERT INTO orders (o_id, o_d_id, o_w_id, o_c_id, o_entry_d, o_ol_cnt, o_all_local)
VALUES (:o_id, :d, :w, :c, now(), 1, 1);
INSERT INTO new_order (no_o_id, no_d_id, no_w_id) VALUES (:o_id, :d, :w);
SELECT s_quantity FROM stock WHERE s_i_id = 7 AND s_w_id = :w FOR UPDATE;
UPDATE stock SET s_quantity = s_quantity - 1, s_ytd = s_ytd + 1, s_order_cnt = s_order_cnt + 1
 WHERE s_i_id = 7 AND s_w_id = :w;
INSERT INTO order_line (ol_o_id, ol_d_id, ol_w_id, ol_number, ol_i_id, ol_supply_w_id, ol_quantity, ol_amount)
VALUES (:o_id, :d, :w, 1, 7, :w, 1, 8.00);
COMMIT;

-- Payment.
BEGIN;
UPDATE warehouse SET w_ytd = w_ytd + 10 WHERE w_id = :w;
UPDATE district SET d_ytd = d_ytd + 10 WHERE d_w_id = :w AND d_id = :d;
UPDATE customer SET c_balance = c_balance - 10, c_ytd_payment = c_ytd_payment + 10, c_payment_cnt = c_payment_cnt + 1
 WHERE c_w_id = :w AND c_d_id = :d AND c_id = :c;
INSERT INTO history (h_c_id, h_c_d_id, h_c_w_id, h_d_id, h_w_id, h_amount, h_data)
VALUES (:c, :d, :w, :d, :w, 10, 'payment');
COMMIT;

-- Delivery: the oldest undelivered order of the district.
BEGIN;
SELECT no_o_id FROM new_order WHERE no_w_id = :w AND no_d_id = :d
 ORDER BY no_o_id LIMIT 1 FOR UPDATE SKIP LOCKED \gset del_
DELETE FROM new_order WHERE no_w_id = :w AND no_d_id = :d AND no_o_id = :del_no_o_id;
UPDATE orders SET o_carrier_id = 5 WHERE o_w_id = :w AND o_d_id = :d AND o_id = :del_no_o_id;
UPDATE order_line SET ol_delivery_d = now() WHERE ol_w_id = :w AND ol_d_id = :d AND ol_o_id = :del_no_o_id;
UPDATE customer SET c_balance = c_balance + 8, c_delivery_cnt = c_delivery_cnt + 1
 WHERE c_w_id = :w AND c_d_id = :d AND c_id = :c;
COMMIT;
