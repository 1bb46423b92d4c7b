-- Workload of the order-entry application: the five TPC-C transactions as
-- the client sends them ($n are the client's values).

-- New-Order: take the district's next order number, then write the order,
-- its queue entry and its lines with that number.
BEGIN;
SELECT w_tax FROM warehouse WHERE w_id = $1;
UPDATE district SET d_next_o_id = d_next_o_id + 1
 WHERE d_w_id = $1 AND d_id = $2
 RETURNING d_next_o_id - 1 AS o_id, d_tax;
SELECT c_discount, c_last, c_credit FROM customer WHERE c_w_id = $1 AND c_d_id = $2 AND c_id = $3;
INSERT INTO orders (o_id, o_d_id, o_w_id, o_c_id, o_entry_d, o_ol_cnt, o_all_local)
VALUES ($1, $2, $3, $4, now(), $5, $6);
INSERT INTO new_order (no_o_id, no_d_id, no_w_id) VALUES ($1, $2, $3);
SELECT i_price, i_name, i_data FROM item WHERE i_id = $1;
SELECT s_quantity, s_data FROM stock WHERE s_i_id = $1 AND s_w_id = $2 FOR UPDATE;
UPDATE stock SET s_quantity = $1, s_ytd = s_ytd + $2, s_order_cnt = s_order_cnt + 1,
       s_remote_cnt = s_remote_cnt + $3
 WHERE s_i_id = $4 AND s_w_id = $5;
INSERT INTO order_line (ol_o_id, ol_d_id, ol_w_id, ol_number, ol_i_id, ol_supply_w_id, ol_quantity, ol_amount)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);
COMMIT;

-- Payment: year-to-date totals and the customer's balance, kept in place.
BEGIN;
UPDATE warehouse SET w_ytd = w_ytd + $1 WHERE w_id = $2;
UPDATE district SET d_ytd = d_ytd + $1 WHERE d_w_id = $2 AND d_id = $3;
UPDATE customer SET c_balance = c_balance - $1, c_ytd_payment = c_ytd_payment + $1,
       c_payment_cnt = c_payment_cnt + 1
 WHERE c_w_id = $2 AND c_d_id = $3 AND c_id = $4;
INSERT INTO history (h_c_id, h_c_d_id, h_c_w_id, h_d_id, h_w_id, h_date, h_amount, h_data)
VALUES ($1, $2, $3, $4, $5, now(), $6, $7);
COMMIT;

-- Order-Status.
SELECT o_id, o_carrier_id, o_entry_d FROM orders
 WHERE o_w_id = $1 AND o_d_id = $2 AND o_c_id = $3 ORDER BY o_id DESC LIMIT 1;
SELECT ol_i_id, ol_supply_w_id, ol_quantity, ol_amount, ol_delivery_d FROM order_line
 WHERE ol_w_id = $1 AND ol_d_id = $2 AND ol_o_id = $3;

-- Delivery: take the oldest undelivered order of a district off the queue.
BEGIN;
SELECT no_o_id FROM new_order WHERE no_w_id = $1 AND no_d_id = $2
 ORDER BY no_o_id LIMIT 1 FOR UPDATE SKIP LOCKED;
DELETE FROM new_order WHERE no_w_id = $1 AND no_d_id = $2 AND no_o_id = $3;
UPDATE orders SET o_carrier_id = $1 WHERE o_w_id = $2 AND o_d_id = $3 AND o_id = $4 RETURNING o_c_id;
UPDATE order_line SET ol_delivery_d = now() WHERE ol_w_id = $1 AND ol_d_id = $2 AND ol_o_id = $3;
UPDATE customer SET c_balance = c_balance + $1, c_delivery_cnt = c_delivery_cnt + 1
 WHERE c_w_id = $2 AND c_d_id = $3 AND c_id = $4;
COMMIT;

-- Stock-Level.
SELECT d_next_o_id FROM district WHERE d_w_id = $1 AND d_id = $2;
SELECT count(DISTINCT s_i_id) FROM order_line JOIN stock ON s_i_id = ol_i_id AND s_w_id = ol_w_id
 WHERE ol_w_id = $1 AND ol_d_id = $2 AND ol_o_id >= $3 AND s_quantity < $4;
