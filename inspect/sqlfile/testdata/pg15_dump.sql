--
-- PostgreSQL database dump
--

\restrict 86hJzaH8IgzU4Xvz1CaYIaYzlOKI1Van4jxp7x3B7hsCQ4fHsTAv31jgIUJFKy3

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
-- Name: btree_gist; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;


--
-- Name: EXTENSION btree_gist; Type: COMMENT; Schema: -; Owner: 
--

COMMENT ON EXTENSION btree_gist IS 'support for indexing common datatypes in GiST';


--
-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;


--
-- Name: EXTENSION pgcrypto; Type: COMMENT; Schema: -; Owner: 
--

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';


--
-- Name: safe(integer, text); Type: FUNCTION; Schema: app; Owner: postgres
--

CREATE FUNCTION app.safe(a integer, b text DEFAULT 'x'::text) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'app', 'pg_temp'
    AS $$SELECT a$$;


ALTER FUNCTION app.safe(a integer, b text) OWNER TO postgres;

--
-- Name: add_atomic(integer, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.add_atomic(a integer, b integer) RETURNS integer
    LANGUAGE sql IMMUTABLE
    BEGIN ATOMIC
 SELECT (a + b);
END;


ALTER FUNCTION public.add_atomic(a integer, b integer) OWNER TO postgres;

--
-- Name: bump(integer); Type: PROCEDURE; Schema: public; Owner: postgres
--

CREATE PROCEDURE public.bump(IN n integer)
    LANGUAGE plpgsql
    AS $$ BEGIN UPDATE app.counters SET value = value + n; END $$;


ALTER PROCEDURE public.bump(IN n integer) OWNER TO postgres;

--
-- Name: ddl_log(); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.ddl_log() RETURNS event_trigger
    LANGUAGE plpgsql
    AS $$ BEGIN END $$;


ALTER FUNCTION public.ddl_log() OWNER TO postgres;

--
-- Name: touch(); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.seen := current_date;  -- a semicolon inside the body
    RETURN NEW;
END;
$$;


ALTER FUNCTION public.touch() OWNER TO postgres;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: counters; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.counters (
    name text NOT NULL,
    value bigint DEFAULT 0 NOT NULL
);

ALTER TABLE ONLY app.counters REPLICA IDENTITY FULL;


ALTER TABLE app.counters OWNER TO postgres;

--
-- Name: desc_seq; Type: SEQUENCE; Schema: app; Owner: postgres
--

CREATE SEQUENCE app.desc_seq
    START WITH -1
    INCREMENT BY -1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
    CYCLE;


ALTER TABLE app.desc_seq OWNER TO postgres;

--
-- Name: events; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.events (
    id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    kind smallint,
    payload text
)
PARTITION BY RANGE (at);


ALTER TABLE app.events OWNER TO postgres;

--
-- Name: events_2024; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.events_2024 (
    id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    kind smallint,
    payload text
);


ALTER TABLE app.events_2024 OWNER TO postgres;

--
-- Name: events_2025; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.events_2025 (
    id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    kind smallint,
    payload text
);


ALTER TABLE app.events_2025 OWNER TO postgres;

--
-- Name: Mixed Case; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public."Mixed Case" (
    "Id" integer NOT NULL,
    "Value" text
);


ALTER TABLE public."Mixed Case" OWNER TO postgres;

--
-- Name: Mixed Case_Id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE public."Mixed Case_Id_seq"
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public."Mixed Case_Id_seq" OWNER TO postgres;

--
-- Name: Mixed Case_Id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: postgres
--

ALTER SEQUENCE public."Mixed Case_Id_seq" OWNED BY public."Mixed Case"."Id";


--
-- Name: users; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.users (
    id integer NOT NULL,
    org_id bigint,
    email character varying(100) NOT NULL,
    status text DEFAULT 'active'::text,
    score bigint DEFAULT 0,
    balance numeric(12,2) DEFAULT 0 NOT NULL,
    neg integer DEFAULT '-1'::integer,
    big bigint DEFAULT '2147483648'::bigint,
    ratio double precision DEFAULT 1.5,
    flag boolean DEFAULT false,
    tags text[] DEFAULT '{}'::text[],
    meta jsonb DEFAULT '{}'::jsonb,
    token uuid DEFAULT gen_random_uuid(),
    seen date DEFAULT CURRENT_DATE,
    doubled bigint GENERATED ALWAYS AS ((score * 2)) STORED,
    notify_email boolean DEFAULT true,
    CONSTRAINT users_score_check CHECK ((score >= 0)),
    CONSTRAINT users_status_check CHECK ((status = ANY (ARRAY['active'::text, 'gone'::text])))
)
WITH (fillfactor='80');


ALTER TABLE public.users OWNER TO postgres;

--
-- Name: active_users; Type: VIEW; Schema: public; Owner: postgres
--

CREATE VIEW public.active_users AS
 SELECT users.id,
    users.email
   FROM public.users
  WHERE (users.status = 'active'::text);


ALTER TABLE public.active_users OWNER TO postgres;

--
-- Name: audit_log; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.audit_log (
    at timestamp with time zone DEFAULT now(),
    what text
);

ALTER TABLE ONLY public.audit_log REPLICA IDENTITY NOTHING;


ALTER TABLE public.audit_log OWNER TO postgres;

--
-- Name: bookings; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.bookings (
    id bigint NOT NULL,
    room integer NOT NULL,
    during tstzrange,
    ref smallint NOT NULL
);


ALTER TABLE public.bookings OWNER TO postgres;

--
-- Name: bookings_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE public.bookings_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.bookings_id_seq OWNER TO postgres;

--
-- Name: bookings_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: postgres
--

ALTER SEQUENCE public.bookings_id_seq OWNED BY public.bookings.id;


--
-- Name: bookings_ref_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE public.bookings_ref_seq
    AS smallint
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.bookings_ref_seq OWNER TO postgres;

--
-- Name: bookings_ref_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: postgres
--

ALTER SEQUENCE public.bookings_ref_seq OWNED BY public.bookings.ref;


--
-- Name: cache; Type: TABLE; Schema: public; Owner: postgres
--

CREATE UNLOGGED TABLE public.cache (
    k text NOT NULL,
    v text
);


ALTER TABLE public.cache OWNER TO postgres;

--
-- Name: parent_t; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.parent_t (
    id integer NOT NULL,
    note text,
    CONSTRAINT parent_t_note_check CHECK ((note <> ''::text))
);


ALTER TABLE public.parent_t OWNER TO postgres;

--
-- Name: child_t; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.child_t (
    extra integer
)
INHERITS (public.parent_t);


ALTER TABLE public.child_t OWNER TO postgres;

--
-- Name: invoices; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.invoices (
    no integer NOT NULL,
    org_id bigint,
    total numeric DEFAULT '-1.5'::numeric
);
ALTER TABLE ONLY public.invoices ALTER COLUMN total SET STORAGE EXTERNAL;


ALTER TABLE public.invoices OWNER TO postgres;

--
-- Name: invoice_no; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE public.invoice_no
    AS integer
    START WITH 1000
    INCREMENT BY 10
    NO MINVALUE
    NO MAXVALUE
    CACHE 5;


ALTER TABLE public.invoice_no OWNER TO postgres;

--
-- Name: invoice_no; Type: SEQUENCE OWNED BY; Schema: public; Owner: postgres
--

ALTER SEQUENCE public.invoice_no OWNED BY public.invoices.no;


--
-- Name: org_counts; Type: MATERIALIZED VIEW; Schema: public; Owner: postgres
--

CREATE MATERIALIZED VIEW public.org_counts AS
 SELECT users.org_id,
    count(*) AS n
   FROM public.users
  GROUP BY users.org_id
  WITH NO DATA;


ALTER TABLE public.org_counts OWNER TO postgres;

--
-- Name: orgs; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.orgs (
    id bigint NOT NULL,
    name text NOT NULL,
    region character(2) DEFAULT 'eu'::bpchar,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.orgs OWNER TO postgres;

--
-- Name: orgs_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

ALTER TABLE public.orgs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.orgs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: scratch_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE UNLOGGED SEQUENCE public.scratch_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.scratch_seq OWNER TO postgres;

--
-- Name: users_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE public.users_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.users_id_seq OWNER TO postgres;

--
-- Name: users_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: postgres
--

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;


--
-- Name: events_2024; Type: TABLE ATTACH; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024 FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');


--
-- Name: events_2025; Type: TABLE ATTACH; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2025 FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2026-01-01 00:00:00+00');


--
-- Name: Mixed Case Id; Type: DEFAULT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public."Mixed Case" ALTER COLUMN "Id" SET DEFAULT nextval('public."Mixed Case_Id_seq"'::regclass);


--
-- Name: bookings id; Type: DEFAULT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.bookings ALTER COLUMN id SET DEFAULT nextval('public.bookings_id_seq'::regclass);


--
-- Name: bookings ref; Type: DEFAULT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.bookings ALTER COLUMN ref SET DEFAULT nextval('public.bookings_ref_seq'::regclass);


--
-- Name: invoices no; Type: DEFAULT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.invoices ALTER COLUMN no SET DEFAULT nextval('public.invoice_no'::regclass);


--
-- Name: users id; Type: DEFAULT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);


--
-- Name: counters counters_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.counters
    ADD CONSTRAINT counters_pkey PRIMARY KEY (name);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);


--
-- Name: events_2024 events_2024_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.events_2024
    ADD CONSTRAINT events_2024_pkey PRIMARY KEY (id, at);


--
-- Name: events_2025 events_2025_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.events_2025
    ADD CONSTRAINT events_2025_pkey PRIMARY KEY (id, at);


--
-- Name: Mixed Case Mixed Case_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public."Mixed Case"
    ADD CONSTRAINT "Mixed Case_pkey" PRIMARY KEY ("Id");


--
-- Name: bookings bookings_room_during_excl; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.bookings
    ADD CONSTRAINT bookings_room_during_excl EXCLUDE USING gist (room WITH =, during WITH &&);


--
-- Name: invoices invoices_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT invoices_pkey PRIMARY KEY (no);


--
-- Name: orgs orgs_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.orgs
    ADD CONSTRAINT orgs_pkey PRIMARY KEY (id);


--
-- Name: users users_email_key; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_email_key UNIQUE (email);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: events_kind_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX events_kind_idx ON ONLY app.events USING btree (kind);


--
-- Name: events_2024_kind_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX events_2024_kind_idx ON app.events_2024 USING btree (kind);


--
-- Name: events_2025_kind_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX events_2025_kind_idx ON app.events_2025 USING btree (kind);


--
-- Name: cache_k; Type: INDEX; Schema: public; Owner: postgres
--

CREATE UNIQUE INDEX cache_k ON public.cache USING btree (k);

ALTER TABLE ONLY public.cache REPLICA IDENTITY USING INDEX cache_k;


--
-- Name: users_lower_idx; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX users_lower_idx ON public.users USING btree (lower((email)::text));


--
-- Name: users_org_email; Type: INDEX; Schema: public; Owner: postgres
--

CREATE UNIQUE INDEX users_org_email ON public.users USING btree (org_id, email);


--
-- Name: users_status_idx; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX users_status_idx ON public.users USING btree (status) WHERE (status <> 'gone'::text);


--
-- Name: users_tags_idx; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX users_tags_idx ON public.users USING gin (tags);


--
-- Name: events_2024_kind_idx; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.events_kind_idx ATTACH PARTITION app.events_2024_kind_idx;


--
-- Name: events_2024_pkey; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_pkey;


--
-- Name: events_2025_kind_idx; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.events_kind_idx ATTACH PARTITION app.events_2025_kind_idx;


--
-- Name: events_2025_pkey; Type: INDEX ATTACH; Schema: app; Owner: postgres
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2025_pkey;


--
-- Name: audit_log no_delete; Type: RULE; Schema: public; Owner: postgres
--

CREATE RULE no_delete AS
    ON DELETE TO public.audit_log DO INSTEAD NOTHING;


--
-- Name: counters counters_audit; Type: TRIGGER; Schema: app; Owner: postgres
--

CREATE TRIGGER counters_audit AFTER DELETE ON app.counters FOR EACH STATEMENT EXECUTE FUNCTION public.touch();

ALTER TABLE app.counters ENABLE ALWAYS TRIGGER counters_audit;


--
-- Name: invoices invoices_check; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE CONSTRAINT TRIGGER invoices_check AFTER INSERT ON public.invoices DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.touch();

ALTER TABLE public.invoices DISABLE TRIGGER invoices_check;


--
-- Name: users users_touch; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER users_touch BEFORE INSERT OR UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.touch();


--
-- Name: invoices invoices_org_fk; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT invoices_org_fk FOREIGN KEY (org_id) REFERENCES public.orgs(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: users users_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;


--
-- Name: log_ddl; Type: EVENT TRIGGER; Schema: -; Owner: postgres
--

CREATE EVENT TRIGGER log_ddl ON ddl_command_end
   EXECUTE FUNCTION public.ddl_log();

ALTER EVENT TRIGGER log_ddl ENABLE ALWAYS;


ALTER EVENT TRIGGER log_ddl OWNER TO postgres;

--
-- PostgreSQL database dump complete
--

\unrestrict 86hJzaH8IgzU4Xvz1CaYIaYzlOKI1Van4jxp7x3B7hsCQ4fHsTAv31jgIUJFKy3

