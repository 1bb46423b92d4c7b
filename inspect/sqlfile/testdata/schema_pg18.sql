-- PostgreSQL 18 only: virtual generated columns (the default kind there)
-- and other newer syntax; checked against pg18_catalog.json.
CREATE TABLE shapes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    w numeric NOT NULL,
    h numeric NOT NULL,
    area numeric GENERATED ALWAYS AS (w * h) VIRTUAL,
    perimeter numeric GENERATED ALWAYS AS (2 * (w + h)) STORED,
    label text,
    half numeric GENERATED ALWAYS AS (w / 2)
);
CREATE UNLOGGED SEQUENCE tmp_seq;
ALTER TABLE shapes ALTER COLUMN label SET STORAGE MAIN;
CREATE TABLE shapes_copy (LIKE shapes INCLUDING ALL);
