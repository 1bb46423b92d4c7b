-- pgbench script: sign-up or profile update, an upsert on the email key.
\set n random(1, 5000)
INSERT INTO customers (email, name, region) VALUES ('customer' || :n || '@example.com', 'Customer ' || :n, 'us')
ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name;
