-- AlterTable
ALTER TABLE "users" ADD COLUMN     "pending_email" TEXT,
ADD COLUMN     "pending_email_attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "pending_email_code_hash" TEXT,
ADD COLUMN     "pending_email_expires" TIMESTAMPTZ(3);


-- A revoked session (refresh-token family) is evicted from every node's session cache when the
-- revocation commits, whichever statement revoked it. NOTIFY folds identical messages of one
-- transaction into one, so revoking a family of many tokens sends one message.
CREATE FUNCTION notify_session_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('candle_invalidate', 'session:' || NEW.family_id);
  RETURN NULL;
END;
$$;

CREATE TRIGGER refresh_tokens_revoked_notify
  AFTER UPDATE OF revoked ON refresh_tokens
  FOR EACH ROW WHEN (OLD.revoked IS NULL AND NEW.revoked IS NOT NULL)
  EXECUTE FUNCTION notify_session_revoked();
