-- Example application: "orderentry", an order-entry system in the style of
-- TPC-C: warehouses with districts, each district handing out its own order
-- numbers from a counter column (d_next_o_id), year-to-date totals kept in
-- place, a delivery queue (new_order) that delivery clerks on any site work
-- off, and a payment history without a key.

CREATE TABLE warehouse (
    w_id        integer PRIMARY KEY,
    w_name      varchar(10) NOT NULL,
    w_tax       numeric(4,4) NOT NULL,
    w_ytd       numeric(12,2) NOT NULL DEFAULT 0
);

CREATE TABLE district (
    d_w_id      integer NOT NULL REFERENCES warehouse (w_id),
    d_id        integer NOT NULL,
    d_name      varchar(10) NOT NULL,
    d_tax       numeric(4,4) NOT NULL,
    d_ytd       numeric(12,2) NOT NULL DEFAULT 0,
    d_next_o_id integer NOT NULL DEFAULT 1,
    PRIMARY KEY (d_w_id, d_id)
);

CREATE TABLE customer (
    c_w_id         integer NOT NULL,
    c_d_id         integer NOT NULL,
    c_id           integer NOT NULL,
    c_last         varchar(16) NOT NULL,
    c_credit       char(2) NOT NULL,
    c_discount     numeric(4,4) NOT NULL,
    c_balance      numeric(12,2) NOT NULL DEFAULT 0,
    c_ytd_payment  numeric(12,2) NOT NULL DEFAULT 0,
    c_payment_cnt  integer NOT NULL DEFAULT 0,
    c_delivery_cnt integer NOT NULL DEFAULT 0,
    PRIMARY KEY (c_w_id, c_d_id, c_id),
    FOREIGN KEY (c_w_id, c_d_id) REFERENCES district (d_w_id, d_id)
);

-- Payments: an append-only trail, no key.
CREATE TABLE history (
    h_c_id      integer NOT NULL,
    h_c_d_id    integer NOT NULL,
    h_c_w_id    integer NOT NULL,
    h_d_id      integer NOT NULL,
    h_w_id      integer NOT NULL,
    h_date      timestamptz NOT NULL DEFAULT now(),
    h_amount    numeric(6,2) NOT NULL,
    h_data      varchar(24),
    FOREIGN KEY (h_c_w_id, h_c_d_id, h_c_id) REFERENCES customer (c_w_id, c_d_id, c_id)
);

-- Order numbers come from district.d_next_o_id.
CREATE TABLE orders (
    o_w_id       integer NOT NULL,
    o_d_id       integer NOT NULL,
    o_id         integer NOT NULL,
    o_c_id       integer NOT NULL,
    o_entry_d    timestamptz NOT NULL DEFAULT now(),
    o_carrier_id integer,
    o_ol_cnt     integer NOT NULL,
    o_all_local  integer NOT NULL,
    PRIMARY KEY (o_w_id, o_d_id, o_id),
    FOREIGN KEY (o_w_id, o_d_id, o_c_id) REFERENCES customer (c_w_id, c_d_id, c_id)
);
-- Order-status looks orders up by customer; the index holds the whole key.
CREATE UNIQUE INDEX orders_customer_idx ON orders (o_w_id, o_d_id, o_c_id, o_id);

-- The delivery queue: one row per undelivered order.
CREATE TABLE new_order (
    no_w_id  integer NOT NULL,
    no_d_id  integer NOT NULL,
    no_o_id  integer NOT NULL,
    PRIMARY KEY (no_w_id, no_d_id, no_o_id),
    FOREIGN KEY (no_w_id, no_d_id, no_o_id) REFERENCES orders (o_w_id, o_d_id, o_id)
);

CREATE TABLE item (
    i_id     integer PRIMARY KEY,
    i_name   varchar(24) NOT NULL,
    i_price  numeric(5,2) NOT NULL,
    i_data   varchar(50) NOT NULL
);

CREATE TABLE stock (
    s_w_id       integer NOT NULL REFERENCES warehouse (w_id),
    s_i_id       integer NOT NULL REFERENCES item (i_id),
    s_quantity   integer NOT NULL,
    s_ytd        integer NOT NULL DEFAULT 0,
    s_order_cnt  integer NOT NULL DEFAULT 0,
    s_remote_cnt integer NOT NULL DEFAULT 0,
    s_data       varchar(50) NOT NULL,
    PRIMARY KEY (s_w_id, s_i_id)
);

CREATE TABLE order_line (
    ol_w_id        integer NOT NULL,
    ol_d_id        integer NOT NULL,
    ol_o_id        integer NOT NULL,
    ol_number      integer NOT NULL,
    ol_i_id        integer NOT NULL REFERENCES item (i_id),
    ol_supply_w_id integer NOT NULL,
    ol_delivery_d  timestamptz,
    ol_quantity    integer NOT NULL,
    ol_amount      numeric(6,2) NOT NULL,
    PRIMARY KEY (ol_w_id, ol_d_id, ol_o_id, ol_number),
    FOREIGN KEY (ol_w_id, ol_d_id, ol_o_id) REFERENCES orders (o_w_id, o_d_id, o_id)
);
