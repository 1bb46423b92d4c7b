--
-- PostgreSQL database dump
--

\restrict emzDZ4LmTBIYMFGbfsu3G207eVnxdKaB6VqVypl7Gvt1YJIfBFeZi2I4K6yJd1x

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: app; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA app;


ALTER SCHEMA app OWNER TO postgres;

--
-- Name: postgres_fdw; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS postgres_fdw WITH SCHEMA app;


--
-- Name: EXTENSION postgres_fdw; Type: COMMENT; Schema: -; Owner: 
--

COMMENT ON EXTENSION postgres_fdw IS 'foreign-data wrapper for remote PostgreSQL servers';


--
-- Name: mood; Type: TYPE; Schema: app; Owner: postgres
--

CREATE TYPE app.mood AS ENUM (
    'happy',
    'sad'
);


ALTER TYPE app.mood OWNER TO postgres;

--
-- Name: posint; Type: DOMAIN; Schema: app; Owner: postgres
--

CREATE DOMAIN app.posint AS integer
	CONSTRAINT posint_check CHECK ((VALUE > 0));


ALTER DOMAIN app.posint OWNER TO postgres;

--
-- Name: v_ins(); Type: FUNCTION; Schema: app; Owner: postgres
--

CREATE FUNCTION app.v_ins() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RETURN NEW; END $$;


ALTER FUNCTION app.v_ins() OWNER TO postgres;

--
-- Name: remote; Type: SERVER; Schema: -; Owner: postgres
--

CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (
    host '127.0.0.1'
);


ALTER SERVER remote OWNER TO postgres;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: averyveryveryveryveryverylongtablenamethatgoesonandonandonforev; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.averyveryveryveryveryverylongtablenamethatgoesonandonandonforev (
    averyveryveryveryverylongcolumnnameaswellthatgoesonandon integer NOT NULL
);


ALTER TABLE app.averyveryveryveryveryverylongtablenamethatgoesonandonandonforev OWNER TO postgres;

--
-- Name: averyveryveryveryveryverylong_averyveryveryveryverylongcolu_seq; Type: SEQUENCE; Schema: app; Owner: postgres
--

CREATE SEQUENCE app.averyveryveryveryveryverylong_averyveryveryveryverylongcolu_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE app.averyveryveryveryveryverylong_averyveryveryveryverylongcolu_seq OWNER TO postgres;

--
-- Name: averyveryveryveryveryverylong_averyveryveryveryverylongcolu_seq; Type: SEQUENCE OWNED BY; Schema: app; Owner: postgres
--

ALTER SEQUENCE app.averyveryveryveryveryverylong_averyveryveryveryverylongcolu_seq OWNED BY app.averyveryveryveryveryverylongtablenamethatgoesonandonandonforev.averyveryveryveryverylongcolumnnameaswellthatgoesonandon;


--
-- Name: byexpr; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.byexpr (
    id integer,
    name text
)
PARTITION BY RANGE (lower(name), id);


ALTER TABLE app.byexpr OWNER TO postgres;

--
-- Name: byhash; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.byhash (
    id bigint
)
PARTITION BY HASH (id);


ALTER TABLE app.byhash OWNER TO postgres;

--
-- Name: byhash_0; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.byhash_0 (
    id bigint
)
PARTITION BY RANGE (id);


ALTER TABLE app.byhash_0 OWNER TO postgres;

--
-- Name: byhash_0_low; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.byhash_0_low (
    id bigint
);


ALTER TABLE app.byhash_0_low OWNER TO postgres;

--
-- Name: bylist; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.bylist (
    id integer NOT NULL,
    k text NOT NULL,
    v integer
)
PARTITION BY LIST (k);


ALTER TABLE app.bylist OWNER TO postgres;

--
-- Name: bylist_a; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.bylist_a (
    id integer NOT NULL,
    k text NOT NULL,
    v integer
);


ALTER TABLE app.bylist_a OWNER TO postgres;

--
-- Name: bylist_b; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.bylist_b (
    id integer NOT NULL,
    k text NOT NULL,
    v integer
);


ALTER TABLE app.bylist_b OWNER TO postgres;

--
-- Name: bylist_rest; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.bylist_rest (
    id integer NOT NULL,
    k text NOT NULL,
    v integer
);


ALTER TABLE app.bylist_rest OWNER TO postgres;

--
-- Name: collide; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.collide (
    id integer NOT NULL,
    a integer,
    b integer,
    email character varying(50),
    CONSTRAINT collide_a_check CHECK (((a >= 1) AND (a <= 100))),
    CONSTRAINT collide_a_check1 CHECK ((COALESCE(a, 0) >= 0)),
    CONSTRAINT collide_a_check2 CHECK ((a = ANY (ARRAY[1, 2, 3]))),
    CONSTRAINT collide_check CHECK ((a < b)),
    CONSTRAINT collide_check1 CHECK (((a > 0) AND (b > 0))),
    CONSTRAINT collide_email_check CHECK (((email)::text ~~ '%@%'::text)),
    CONSTRAINT collide_email_check1 CHECK ((lower((email)::text) = (email)::text)),
    CONSTRAINT collide_email_check2 CHECK ((email IS NOT NULL))
);


ALTER TABLE app.collide OWNER TO postgres;

--
-- Name: collide_id_seq; Type: SEQUENCE; Schema: app; Owner: postgres
--

CREATE SEQUENCE app.collide_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE app.collide_id_seq OWNER TO postgres;

--
-- Name: collide_id_seq1; Type: SEQUENCE; Schema: app; Owner: postgres
--

CREATE SEQUENCE app.collide_id_seq1
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE app.collide_id_seq1 OWNER TO postgres;

--
-- Name: collide_id_seq1; Type: SEQUENCE OWNED BY; Schema: app; Owner: postgres
--

ALTER SEQUENCE app.collide_id_seq1 OWNED BY app.collide.id;


--
-- Name: grow_seq; Type: SEQUENCE; Schema: app; Owner: postgres
--

CREATE SEQUENCE app.grow_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE app.grow_seq OWNER TO postgres;

--
-- Name: ident_dst; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.ident_dst (
    id integer NOT NULL,
    note text DEFAULT '(x) virtual'::text,
    twice integer GENERATED ALWAYS AS ((id * 2)) STORED
);


ALTER TABLE app.ident_dst OWNER TO postgres;

--
-- Name: ident_dst_id_seq; Type: SEQUENCE; Schema: app; Owner: postgres
--

ALTER TABLE app.ident_dst ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app.ident_dst_id_seq
    START WITH 5
    INCREMENT BY 1
    NO MINVALUE
    MAXVALUE 2147483647
    CACHE 10
);


--
-- Name: ident_src; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.ident_src (
    id integer NOT NULL,
    note text DEFAULT '(x) virtual'::text,
    twice integer GENERATED ALWAYS AS ((id * 2)) STORED
);


ALTER TABLE app.ident_src OWNER TO postgres;

--
-- Name: ident_src_id_seq; Type: SEQUENCE; Schema: app; Owner: postgres
--

ALTER TABLE app.ident_src ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app.ident_src_id_seq
    START WITH 5
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 10
);


--
-- Name: liked; Type: TABLE; Schema: app; Owner: postgres
--

CREATE UNLOGGED TABLE app.liked (
    id integer DEFAULT nextval('app.collide_id_seq1'::regclass) NOT NULL,
    a integer,
    b integer,
    email character varying(50),
    extra text DEFAULT 'e'::text NOT NULL,
    added bigint NOT NULL,
    flag boolean DEFAULT false NOT NULL,
    CONSTRAINT collide_a_check CHECK (((a >= 1) AND (a <= 100))),
    CONSTRAINT collide_a_check1 CHECK ((COALESCE(a, 0) >= 0)),
    CONSTRAINT collide_a_check2 CHECK ((a = ANY (ARRAY[1, 2, 3]))),
    CONSTRAINT collide_check CHECK ((a < b)),
    CONSTRAINT collide_check1 CHECK (((a > 0) AND (b > 0))),
    CONSTRAINT collide_email_check CHECK (((email)::text ~~ '%@%'::text)),
    CONSTRAINT collide_email_check1 CHECK ((lower((email)::text) = (email)::text)),
    CONSTRAINT collide_email_check2 CHECK ((email IS NOT NULL))
)
WITH (autovacuum_enabled='false', toast.autovacuum_enabled='false');


ALTER TABLE app.liked OWNER TO postgres;

--
-- Name: liked_added_seq; Type: SEQUENCE; Schema: app; Owner: postgres
--

ALTER TABLE app.liked ALTER COLUMN added ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME app.liked_added_seq
    START WITH 100
    INCREMENT BY 5
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: neg_seq; Type: SEQUENCE; Schema: app; Owner: postgres
--

CREATE SEQUENCE app.neg_seq
    START WITH -1
    INCREMENT BY -2
    MINVALUE -100
    NO MAXVALUE
    CACHE 1;


ALTER TABLE app.neg_seq OWNER TO postgres;

--
-- Name: opts; Type: TABLE; Schema: app; Owner: sqlfile_alice
--

CREATE TABLE app.opts (
    id integer
)
WITH (autovacuum_vacuum_scale_factor='0.01');


ALTER TABLE app.opts OWNER TO sqlfile_alice;

--
-- Name: orders; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.orders (
    id bigint NOT NULL,
    region text NOT NULL,
    CONSTRAINT orders_id_check CHECK ((id > 0)),
    CONSTRAINT orders_region_check CHECK ((region <> ''::text))
)
PARTITION BY LIST (region);


ALTER TABLE app.orders OWNER TO postgres;

--
-- Name: orders_eu; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.orders_eu (
    id bigint NOT NULL,
    region text NOT NULL,
    CONSTRAINT orders_id_check CHECK ((id > 0)),
    CONSTRAINT orders_region_check CHECK ((region <> ''::text))
);


ALTER TABLE app.orders_eu OWNER TO postgres;

--
-- Name: orders_us; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.orders_us (
    id bigint NOT NULL,
    region text NOT NULL,
    CONSTRAINT orders_id_check CHECK ((id > 0)),
    CONSTRAINT orders_region_check CHECK ((region <> ''::text))
);


ALTER TABLE app.orders_us OWNER TO postgres;

--
-- Name: prices; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.prices (
    price numeric,
    qty integer,
    ratio double precision,
    big bigint,
    total numeric GENERATED ALWAYS AS (((price * (qty)::numeric) + (1)::numeric)) STORED,
    CONSTRAINT prices_check CHECK (((big > 0) AND ((big + 1) > qty))),
    CONSTRAINT prices_check1 CHECK (((price < '1000000'::numeric) OR (qty = '-1'::integer))),
    CONSTRAINT prices_price_check CHECK ((price > (0)::numeric)),
    CONSTRAINT prices_qty_check CHECK ((((qty)::numeric * 1.5) < (100)::numeric)),
    CONSTRAINT prices_ratio_check CHECK (((ratio >= (0)::double precision) AND (ratio <= (1)::double precision)))
);


ALTER TABLE app.prices OWNER TO postgres;

--
-- Name: regions; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.regions (
    code text NOT NULL
);


ALTER TABLE app.regions OWNER TO postgres;

--
-- Name: remote_items; Type: FOREIGN TABLE; Schema: app; Owner: postgres
--

CREATE FOREIGN TABLE app.remote_items (
    id integer NOT NULL,
    name text
)
SERVER remote
OPTIONS (
    table_name 'items'
);


ALTER FOREIGN TABLE app.remote_items OWNER TO postgres;

--
-- Name: small_seq; Type: SEQUENCE; Schema: app; Owner: postgres
--

CREATE SEQUENCE app.small_seq
    AS smallint
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    MAXVALUE 1000
    CACHE 1;


ALTER TABLE app.small_seq OWNER TO postgres;

--
-- Name: typed; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.typed (
    a numeric(5,0),
    b real,
    c double precision,
    d smallint[],
    e timestamp(0) without time zone DEFAULT LOCALTIMESTAMP,
    f time(3) with time zone,
    g interval day to second(2) DEFAULT '1 day'::interval day to second(2),
    h bit(8),
    i bit varying,
    j "char",
    k character varying COLLATE pg_catalog."C",
    l app.mood DEFAULT 'happy'::app.mood,
    m app.posint,
    n integer DEFAULT (1 + 2),
    o text DEFAULT upper('a'::text),
    p integer[] DEFAULT ARRAY[1, 2],
    q boolean DEFAULT true,
    r jsonb DEFAULT '[]'::jsonb,
    s date DEFAULT (now())::date,
    t character varying(10) DEFAULT 'x'::character varying,
    u double precision DEFAULT 0,
    v numeric DEFAULT '1000'::numeric,
    w integer DEFAULT '-5'::integer,
    x timestamp with time zone DEFAULT CURRENT_TIMESTAMP(3),
    y text,
    z bigint DEFAULT '-9223372036854775808'::bigint
);


ALTER TABLE app.typed OWNER TO postgres;

--
-- Name: v_collide; Type: VIEW; Schema: app; Owner: postgres
--

CREATE VIEW app.v_collide AS
 SELECT collide.id,
    collide.a
   FROM app.collide;


ALTER TABLE app.v_collide OWNER TO postgres;

--
-- Name: byhash_0; Type: TABLE ATTACH; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.byhash ATTACH PARTITION app.byhash_0 FOR VALUES WITH (modulus 2, remainder 0);


--
-- Name: byhash_0_low; Type: TABLE ATTACH; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.byhash_0 ATTACH PARTITION app.byhash_0_low FOR VALUES FROM (MINVALUE) TO ('1000');


--
-- Name: bylist_a; Type: TABLE ATTACH; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.bylist ATTACH PARTITION app.bylist_a FOR VALUES IN ('a');


--
-- Name: bylist_b; Type: TABLE ATTACH; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.bylist ATTACH PARTITION app.bylist_b FOR VALUES IN ('b');


--
-- Name: bylist_rest; Type: TABLE ATTACH; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.bylist ATTACH PARTITION app.bylist_rest DEFAULT;


--
-- Name: orders_eu; Type: TABLE ATTACH; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.orders ATTACH PARTITION app.orders_eu FOR VALUES IN ('eu');


--
-- Name: orders_us; Type: TABLE ATTACH; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.orders ATTACH PARTITION app.orders_us FOR VALUES IN ('us');


--
-- Name: averyveryveryveryveryverylongtablenamethatgoesonandonandonforev averyveryveryveryverylongcolumnnameaswellthatgoesonandon; Type: DEFAULT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.averyveryveryveryveryverylongtablenamethatgoesonandonandonforev ALTER COLUMN averyveryveryveryverylongcolumnnameaswellthatgoesonandon SET DEFAULT nextval('app.averyveryveryveryveryverylong_averyveryveryveryverylongcolu_seq'::regclass);


--
-- Name: collide id; Type: DEFAULT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.collide ALTER COLUMN id SET DEFAULT nextval('app.collide_id_seq1'::regclass);


--
-- Name: averyveryveryveryveryverylongtablenamethatgoesonandonandonforev averyveryveryveryveryverylongtablenamethatgoesonandonandon_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.averyveryveryveryveryverylongtablenamethatgoesonandonandonforev
    ADD CONSTRAINT averyveryveryveryveryverylongtablenamethatgoesonandonandon_pkey PRIMARY KEY (averyveryveryveryverylongcolumnnameaswellthatgoesonandon);


--
-- Name: bylist bylist_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.bylist
    ADD CONSTRAINT bylist_pkey PRIMARY KEY (id, k);


--
-- Name: bylist_a bylist_a_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.bylist_a
    ADD CONSTRAINT bylist_a_pkey PRIMARY KEY (id, k);


--
-- Name: bylist_b bylist_b_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.bylist_b
    ADD CONSTRAINT bylist_b_pkey PRIMARY KEY (id, k);


--
-- Name: bylist_rest bylist_rest_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.bylist_rest
    ADD CONSTRAINT bylist_rest_pkey PRIMARY KEY (id, k);


--
-- Name: collide collide_a_b_key; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.collide
    ADD CONSTRAINT collide_a_b_key UNIQUE (a, b);


--
-- Name: collide collide_a_key; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.collide
    ADD CONSTRAINT collide_a_key UNIQUE (a);


--
-- Name: collide collide_a_key1; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.collide
    ADD CONSTRAINT collide_a_key1 UNIQUE (a) DEFERRABLE;


--
-- Name: liked liked_a_b_key; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.liked
    ADD CONSTRAINT liked_a_b_key UNIQUE (a, b);


--
-- Name: liked liked_a_key; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.liked
    ADD CONSTRAINT liked_a_key UNIQUE (a);


--
-- Name: liked liked_a_key1; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.liked
    ADD CONSTRAINT liked_a_key1 UNIQUE (a) DEFERRABLE;


--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id, region);


--
-- Name: orders_eu orders_eu_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.orders_eu
    ADD CONSTRAINT orders_eu_pkey PRIMARY KEY (id, region);


--
-- Name: orders_us orders_us_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.orders_us
    ADD CONSTRAINT orders_us_pkey PRIMARY KEY (id, region);


--
-- Name: regions regions_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.regions
    ADD CONSTRAINT regions_pkey PRIMARY KEY (code);


--
-- Name: bylist_v_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX bylist_v_idx ON ONLY app.bylist USING btree (v);


--
-- Name: bylist_a_v_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX bylist_a_v_idx ON app.bylist_a USING btree (v);


--
-- Name: bylist_b_v_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX bylist_b_v_idx ON app.bylist_b USING btree (v);


--
-- Name: bylist_rest_v_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX bylist_rest_v_idx ON app.bylist_rest USING btree (v);


--
-- Name: collide_a_b_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX collide_a_b_idx ON app.collide USING btree (a, b);


--
-- Name: collide_a_b_idx1; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX collide_a_b_idx1 ON app.collide USING btree (a, b);


--
-- Name: collide_coalesce_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX collide_coalesce_idx ON app.collide USING btree (COALESCE(a, b));


--
-- Name: collide_expr_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX collide_expr_idx ON app.collide USING btree (((a + b)));


--
-- Name: liked_a_b_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX liked_a_b_idx ON app.liked USING btree (a, b);


--
-- Name: liked_a_b_idx1; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX liked_a_b_idx1 ON app.liked USING btree (a, b);


--
-- Name: liked_coalesce_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX liked_coalesce_idx ON app.liked USING btree (COALESCE(a, b));


--
-- Name: liked_expr_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX liked_expr_idx ON app.liked USING btree (((a + b)));


--
-- Name: orders_region_id; Type: INDEX; Schema: app; Owner: postgres
--

CREATE UNIQUE INDEX orders_region_id ON ONLY app.orders USING btree (region, id);


--
-- Name: orders_eu_region_id_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE UNIQUE INDEX orders_eu_region_id_idx ON app.orders_eu USING btree (region, id);


--
-- Name: orders_us_region_id_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE UNIQUE INDEX orders_us_region_id_idx ON app.orders_us USING btree (region, id);


--
-- Name: bylist_a_pkey; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.bylist_pkey ATTACH PARTITION app.bylist_a_pkey;


--
-- Name: bylist_a_v_idx; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.bylist_v_idx ATTACH PARTITION app.bylist_a_v_idx;


--
-- Name: bylist_b_pkey; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.bylist_pkey ATTACH PARTITION app.bylist_b_pkey;


--
-- Name: bylist_b_v_idx; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.bylist_v_idx ATTACH PARTITION app.bylist_b_v_idx;


--
-- Name: bylist_rest_pkey; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.bylist_pkey ATTACH PARTITION app.bylist_rest_pkey;


--
-- Name: bylist_rest_v_idx; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.bylist_v_idx ATTACH PARTITION app.bylist_rest_v_idx;


--
-- Name: orders_eu_pkey; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.orders_pkey ATTACH PARTITION app.orders_eu_pkey;


--
-- Name: orders_eu_region_id_idx; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.orders_region_id ATTACH PARTITION app.orders_eu_region_id_idx;


--
-- Name: orders_us_pkey; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.orders_pkey ATTACH PARTITION app.orders_us_pkey;


--
-- Name: orders_us_region_id_idx; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.orders_region_id ATTACH PARTITION app.orders_us_region_id_idx;


--
-- Name: v_collide v_collide_upd; Type: RULE; Schema: app; Owner: postgres
--

CREATE RULE v_collide_upd AS
    ON UPDATE TO app.v_collide DO INSTEAD NOTHING;


--
-- Name: collide collide_trunc; Type: TRIGGER; Schema: app; Owner: postgres
--

CREATE TRIGGER collide_trunc BEFORE TRUNCATE ON app.collide FOR EACH STATEMENT EXECUTE FUNCTION app.v_ins();


--
-- Name: collide collide_upd; Type: TRIGGER; Schema: app; Owner: postgres
--

CREATE TRIGGER collide_upd AFTER INSERT OR UPDATE OF a, b ON app.collide FOR EACH ROW WHEN ((new.a IS NOT NULL)) EXECUTE FUNCTION app.v_ins();


--
-- Name: v_collide v_collide_ins; Type: TRIGGER; Schema: app; Owner: postgres
--

CREATE TRIGGER v_collide_ins INSTEAD OF INSERT ON app.v_collide FOR EACH ROW EXECUTE FUNCTION app.v_ins();


--
-- Name: orders orders_region_fkey; Type: FK CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE app.orders
    ADD CONSTRAINT orders_region_fkey FOREIGN KEY (region) REFERENCES app.regions(code) ON UPDATE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict emzDZ4LmTBIYMFGbfsu3G207eVnxdKaB6VqVypl7Gvt1YJIfBFeZi2I4K6yJd1x

