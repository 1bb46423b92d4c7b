-- Example application: "shop", a small multi-region web store.
-- Written the way many real schemas are: serial keys, a job queue table,
-- counters, a few conveniences that hurt under multi-primary replication.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE customers (
    id          serial PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    name        text NOT NULL,
    region      text NOT NULL DEFAULT 'eu',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku         text NOT NULL UNIQUE,
    title       text NOT NULL,
    description text,
    price_cents integer NOT NULL CHECK (price_cents >= 0),
    picture     oid
);

CREATE TABLE inventory (
    product_id  bigint PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    on_hand     integer NOT NULL,
    reserved    integer NOT NULL DEFAULT 0
);

CREATE TABLE orders (
    id          bigserial PRIMARY KEY,
    invoice_no  integer UNIQUE,
    customer_id integer NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'new',
    total_cents integer NOT NULL DEFAULT 0,
    public_id   uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE order_items (
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id  bigint NOT NULL REFERENCES products (id),
    qty         integer NOT NULL CHECK (qty > 0),
    PRIMARY KEY (order_id, product_id)
);

-- Page-view counters, one row per product.
CREATE TABLE product_stats (
    product_id  bigint PRIMARY KEY,
    views       bigint NOT NULL DEFAULT 0,
    sold        bigint NOT NULL DEFAULT 0
);

-- A job queue: rows are inserted, picked with SKIP LOCKED and deleted.
CREATE TABLE jobs (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,
    payload     jsonb NOT NULL,
    run_at      timestamptz NOT NULL DEFAULT now()
);

-- Audit trail without a key.
CREATE TABLE audit_log (
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text,
    action      text NOT NULL,
    detail      jsonb
);

-- Delivery slots must not overlap per courier.
CREATE TABLE deliveries (
    id          bigserial PRIMARY KEY,
    courier_id  integer NOT NULL,
    slot        tstzrange NOT NULL,
    EXCLUDE USING gist (courier_id WITH =, slot WITH &&)
);

CREATE UNLOGGED TABLE sessions (
    token       text PRIMARY KEY,
    customer_id integer,
    expires_at  timestamptz NOT NULL
);

CREATE MATERIALIZED VIEW top_products AS
    SELECT product_id, sold FROM product_stats ORDER BY sold DESC LIMIT 100;

CREATE FUNCTION touch_stats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO product_stats (product_id, sold) VALUES (NEW.product_id, NEW.qty)
    ON CONFLICT (product_id) DO UPDATE SET sold = product_stats.sold + EXCLUDED.sold;
    RETURN NEW;
END $$;

CREATE TRIGGER order_items_stats AFTER INSERT ON order_items
    FOR EACH ROW EXECUTE FUNCTION touch_stats();
