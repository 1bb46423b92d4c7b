-- pgbench script: the job queue worker takes the oldest job.
DELETE FROM jobs WHERE id = (SELECT id FROM jobs ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED);
