-- Run once by the postgres image, on the first start of an empty data volume (as POSTGRES_USER,
-- connected to POSTGRES_DB = airflow, Airflow's metadata database).
-- Adds the warehouse database `hoops` (HOOPS_POSTGRES_DSN and the connection hoops_postgres point to
-- it); the pipeline's `ensure_schema` task creates its tables on the first run.
-- To run it again: `docker compose down -v` (deletes the data volume).
CREATE DATABASE hoops;
