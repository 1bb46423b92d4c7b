-- Source DDL for the pg_dump fixture (pg15_dump.sql) and the catalog
-- facts (pg15_catalog.json); see fixture_test.go for how they were made.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA app;

CREATE TABLE public.orgs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    region char(2) DEFAULT 'eu',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id serial PRIMARY KEY,
    org_id bigint REFERENCES orgs ON DELETE CASCADE,
    email varchar(100) NOT NULL UNIQUE,
    status text DEFAULT 'active' CHECK (status IN ('active', 'gone')),
    score bigint DEFAULT 0,
    balance numeric(12,2) DEFAULT 0 NOT NULL,
    neg integer DEFAULT -1,
    big bigint DEFAULT 2147483648,
    ratio double precision DEFAULT 1.5,
    flag boolean DEFAULT false,
    tags text[] DEFAULT '{}',
    meta jsonb DEFAULT '{}'::jsonb,
    token uuid DEFAULT gen_random_uuid(),
    seen date DEFAULT CURRENT_DATE,
    doubled bigint GENERATED ALWAYS AS (score * 2) STORED,
    notify_email boolean DEFAULT true,
    CONSTRAINT users_score_check CHECK (score >= 0)
) WITH (fillfactor = 80);

CREATE INDEX ON users (lower(email));
CREATE INDEX users_status_idx ON users (status) WHERE status <> 'gone';
CREATE UNIQUE INDEX users_org_email ON users (org_id, email);
CREATE INDEX ON users USING gin (tags);

CREATE TABLE app.counters (
    name text PRIMARY KEY,
    value bigint NOT NULL DEFAULT 0
);
ALTER TABLE app.counters REPLICA IDENTITY FULL;

CREATE TABLE app.events (
    id bigint NOT NULL,
    at timestamptz NOT NULL,
    kind smallint,
    payload text
) PARTITION BY RANGE (at);
ALTER TABLE app.events ADD PRIMARY KEY (id, at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX ON app.events (kind);

CREATE TABLE audit_log (
    at timestamptz DEFAULT now(),
    what text
);
ALTER TABLE audit_log REPLICA IDENTITY NOTHING;

CREATE UNLOGGED TABLE cache (k text NOT NULL, v text);
CREATE UNIQUE INDEX cache_k ON cache (k);
ALTER TABLE cache REPLICA IDENTITY USING INDEX cache_k;

CREATE TABLE parent_t (id int NOT NULL, note text CHECK (note <> ''));
CREATE TABLE child_t (extra int) INHERITS (parent_t);

CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE bookings (
    id bigserial,
    room int NOT NULL,
    during tstzrange,
    ref smallserial,
    EXCLUDE USING gist (room WITH =, during WITH &&)
);

CREATE SEQUENCE invoice_no AS integer START 1000 INCREMENT BY 10 CACHE 5;
CREATE SEQUENCE app.desc_seq INCREMENT -1 CYCLE;
CREATE UNLOGGED SEQUENCE scratch_seq;

CREATE TABLE invoices (
    no integer NOT NULL DEFAULT nextval('invoice_no'),
    org_id bigint,
    total numeric DEFAULT -1.5,
    CONSTRAINT invoices_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED
);
ALTER SEQUENCE invoice_no OWNED BY invoices.no;
ALTER TABLE invoices ADD CONSTRAINT invoices_pkey PRIMARY KEY (no);
ALTER TABLE invoices ALTER COLUMN total SET STORAGE external;

CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seen := current_date;  -- a semicolon inside the body
    RETURN NEW;
END;
$$;
CREATE FUNCTION app.safe(a integer, b text DEFAULT 'x') RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = app, pg_temp
    AS 'SELECT a';
CREATE FUNCTION add_atomic(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT a + b;
END;
CREATE PROCEDURE bump(n integer) LANGUAGE plpgsql AS $$ BEGIN UPDATE app.counters SET value = value + n; END $$;

CREATE TRIGGER users_touch BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER counters_audit AFTER DELETE ON app.counters FOR EACH STATEMENT EXECUTE FUNCTION touch();
ALTER TABLE app.counters ENABLE ALWAYS TRIGGER counters_audit;
CREATE CONSTRAINT TRIGGER invoices_check AFTER INSERT ON invoices DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE invoices DISABLE TRIGGER invoices_check;

CREATE RULE no_delete AS ON DELETE TO audit_log DO INSTEAD NOTHING;

CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active';
CREATE MATERIALIZED VIEW org_counts AS SELECT org_id, count(*) AS n FROM users GROUP BY org_id;

CREATE FUNCTION ddl_log() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION ddl_log();
ALTER EVENT TRIGGER log_ddl ENABLE ALWAYS;

CREATE TABLE "Mixed Case" ("Id" serial PRIMARY KEY, "Value" text);
