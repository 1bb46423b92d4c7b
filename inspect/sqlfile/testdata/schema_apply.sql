-- What the apply side of replication meets: row-level security and the
-- side effects of trigger functions. Read offline and live by the parity
-- test (inspect/pglive), which holds both readers to the same model.
CREATE TABLE docs (id bigint PRIMARY KEY, owner text NOT NULL, body text);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_owner ON docs USING (owner = current_user);
CREATE POLICY docs_insert ON docs FOR INSERT WITH CHECK (owner = current_user);
ALTER POLICY docs_insert ON docs RENAME TO docs_write;

CREATE TABLE ledger (id bigint PRIMARY KEY, tenant text NOT NULL, amount numeric NOT NULL);
ALTER TABLE ledger ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger FORCE ROW LEVEL SECURITY;
CREATE POLICY ledger_tenant ON ledger USING (tenant = current_setting('app.tenant'));
CREATE POLICY ledger_old ON ledger USING (false);
DROP POLICY ledger_old ON ledger;

CREATE TABLE notes (id bigint PRIMARY KEY, body text);
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
ALTER TABLE notes NO FORCE ROW LEVEL SECURITY;
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes DISABLE ROW LEVEL SECURITY;

CREATE TABLE audit (at timestamptz NOT NULL DEFAULT now(), what text);
CREATE TABLE totals (name text PRIMARY KEY, n bigint NOT NULL DEFAULT 0);

CREATE FUNCTION bump_total(k text) RETURNS void LANGUAGE sql AS $$
    UPDATE totals SET n = n + 1 WHERE name = k;
$$;
CREATE FUNCTION docs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- insert into nowhere: a comment is not a write
    INSERT INTO audit (what) VALUES ('docs ' || TG_OP);
    PERFORM pg_notify('docs', NEW.id::text);
    PERFORM bump_total('docs');
    RETURN NEW;
END;
$$;
CREATE FUNCTION docs_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.body := coalesce(NEW.body, '');
    RETURN NEW;
END;
$$;
CREATE FUNCTION ledger_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('INSERT INTO %I.archive SELECT $1.*', TG_TABLE_SCHEMA) USING NEW;
    RETURN NULL;
END;
$$;
CREATE TRIGGER docs_changed AFTER INSERT OR UPDATE ON docs FOR EACH ROW EXECUTE FUNCTION docs_changed();
CREATE TRIGGER docs_stamp BEFORE INSERT OR UPDATE ON docs FOR EACH ROW EXECUTE FUNCTION docs_stamp();
CREATE TRIGGER ledger_forward AFTER INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_forward();
