-- Content-addressed artifacts written with the events that name them (infra/GOVERNANCE.md):
-- today the policy_evaluation of every policy.evaluated event. The key is the sha256 hex of the
-- body (canonical JSON); the store checks it before writing. Append-only, like events.
CREATE TABLE artifacts (
  hash text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{0,63}$'),
  stream text NOT NULL,
  seq bigint NOT NULL CHECK (seq > 0),
  body text NOT NULL
);
CREATE TRIGGER artifacts_no_update BEFORE UPDATE OR DELETE ON artifacts
  FOR EACH ROW EXECUTE FUNCTION warden_reject_mutation();
CREATE TRIGGER artifacts_no_truncate BEFORE TRUNCATE ON artifacts
  FOR EACH STATEMENT EXECUTE FUNCTION warden_reject_mutation();
