-- Expressions whose text misleads a scan: string literals holding calls,
-- quoted and schema-qualified function names, a sequence whose name has
-- a quote, key words that are value functions (exprfacts_test.go).
CREATE SCHEMA app;
CREATE SEQUENCE public."it's";
CREATE FUNCTION public."MyFunc"() RETURNS text LANGUAGE sql AS $$SELECT 'x'$$;
CREATE FUNCTION app.stamp() RETURNS timestamptz LANGUAGE sql AS $$SELECT now()$$;
CREATE FUNCTION app."Quoted"(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT $1$$;
CREATE TABLE public.t (
    id bigint DEFAULT nextval('public."it''s"') PRIMARY KEY,
    note text DEFAULT 'now()',
    shout text DEFAULT public."MyFunc"(),
    stamp timestamptz DEFAULT app.stamp(),
    created timestamptz DEFAULT CURRENT_TIMESTAMP,
    made timestamp DEFAULT timezone('UTC', now()),
    CONSTRAINT t_created_check CHECK (created <= CURRENT_TIMESTAMP AND note <> 'clock_timestamp()'),
    CONSTRAINT t_shout_check CHECK (shout <> app."Quoted"(note))
);
