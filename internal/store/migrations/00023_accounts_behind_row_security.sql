-- +goose Up
-- People's accounts behind row-level security (issue 15, gap 3).
--
-- Until now the application role could read every row of app_user (password hashes
-- included), user_session (secret hashes and CSRF tokens of everyone's sessions),
-- password_token and account_message (the secret of a link or temporary password not yet
-- sent). Now:
--   * app_user: an organisation reads its own people, UST and the worker everybody, and
--     never the password hash, the failure count or the hash of the last login address;
--     only the worker writes rows directly (a comune's first credentials);
--   * user_session and password_token: no privilege at all;
--   * account_message: the worker reads and writes them, UST reads the onboarding ones (to
--     see a comune that never logged in), and nobody selects the secret column.
-- What logging in, sessions, password links and disabling people need goes through the
-- SECURITY DEFINER functions below, each doing one narrow thing, keyed on a secret's hash
-- or on the caller's organisation (approdo.org). Migrations and the CLI run as the
-- owner, which row-level security does not restrict.

ALTER TABLE app_user ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_session ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_token ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_message ENABLE ROW LEVEL SECURITY;

-- Revoking the table's privileges revokes its columns' too.
REVOKE ALL ON app_user, user_session, password_token, account_message FROM approdo_app;

GRANT SELECT (id, organisation, email, name, role, must_change_password, locked_until, disabled_at, first_login_at, created_at)
    ON app_user TO approdo_app;
GRANT INSERT (id, organisation, email, name, role, must_change_password) ON app_user TO approdo_app;
GRANT UPDATE (password_hash, must_change_password, failed_logins, locked_until) ON app_user TO approdo_app;
CREATE POLICY user_read ON app_user FOR SELECT TO approdo_app
    USING (approdo_org() IN ('system', 'ust') OR organisation = approdo_org());
CREATE POLICY user_insert ON app_user FOR INSERT TO approdo_app
    WITH CHECK (approdo_org() = 'system' OR organisation = approdo_org());
CREATE POLICY user_update ON app_user FOR UPDATE TO approdo_app
    USING (approdo_org() = 'system') WITH CHECK (approdo_org() = 'system');

GRANT SELECT (id, key, user_id, kind, channel, address, message_id, attempts, last_error, sending_since, sent_at,
    delivered_at, undelivered, created_at) ON account_message TO approdo_app;
GRANT INSERT (key, user_id, kind, channel, secret) ON account_message TO approdo_app;
GRANT UPDATE (secret, address, message_id, attempts, last_error, sending_since, sent_at, delivered_at, undelivered)
    ON account_message TO approdo_app;
CREATE POLICY account_message_read ON account_message FOR SELECT TO approdo_app
    USING (approdo_org() = 'system' OR (approdo_org() = 'ust' AND kind IN ('credentials', 'login_reminder')));
CREATE POLICY account_message_insert ON account_message FOR INSERT TO approdo_app
    WITH CHECK (approdo_org() = 'system');
CREATE POLICY account_message_update ON account_message FOR UPDATE TO approdo_app
    USING (approdo_org() = 'system') WITH CHECK (approdo_org() = 'system');

-- The secret of an account message, for the worker that writes the message.
-- +goose StatementBegin
CREATE FUNCTION approdo_account_message_secret(p_key text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT m.secret FROM account_message m WHERE m.key = p_key AND approdo_org() = 'system'
$$;
-- +goose StatementEnd

-- The account a login or a reset names, hash included: the password is checked by the
-- application (argon2id). One address at a time; nobody can list them.
-- +goose StatementBegin
CREATE FUNCTION approdo_login_account(p_email text)
RETURNS TABLE (id uuid, organisation text, email text, name text, role text, password_hash text,
    must_change_password boolean, failed_logins int, locked_until timestamptz, disabled_at timestamptz,
    known_address_hash bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.id, u.organisation, u.email, u.name, u.role, u.password_hash, u.must_change_password,
           u.failed_logins, u.locked_until, u.disabled_at, u.known_address_hash
    FROM app_user u WHERE u.email = p_email
$$;
-- +goose StatementEnd

-- A wrong password: at p_max failures in a row the account closes until p_locked_until
-- and the count starts again.
-- +goose StatementBegin
CREATE FUNCTION approdo_note_login_failure(p_user uuid, p_max int, p_locked_until timestamptz) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE app_user SET
        failed_logins = CASE WHEN failed_logins + 1 >= p_max THEN 0 ELSE failed_logins + 1 END,
        locked_until  = CASE WHEN failed_logins + 1 >= p_max THEN p_locked_until ELSE locked_until END
    WHERE id = p_user
$$;
-- +goose StatementEnd

-- A right password: the failures are cleared, the address hash remembered (NULL keeps
-- the one known); true if this was the user's first login ever.
-- +goose StatementBegin
CREATE FUNCTION approdo_note_login_success(p_user uuid, p_address_hash bytea) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE app_user u SET failed_logins = 0, locked_until = NULL, first_login_at = coalesce(u.first_login_at, now()),
        known_address_hash = coalesce(p_address_hash, u.known_address_hash)
    FROM (SELECT first_login_at IS NULL AS first FROM app_user WHERE id = p_user FOR UPDATE) before
    WHERE u.id = p_user
    RETURNING before.first
$$;
-- +goose StatementEnd

-- A session for a user who is not disabled; false if there is none such.
-- +goose StatementBegin
CREATE FUNCTION approdo_open_session(p_id uuid, p_user uuid, p_secret_hash bytea, p_csrf text, p_expires timestamptz)
RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH opened AS (
        INSERT INTO user_session (id, user_id, secret_hash, csrf_token, expires_at)
        SELECT p_id, u.id, p_secret_hash, p_csrf, p_expires FROM app_user u WHERE u.id = p_user AND u.disabled_at IS NULL
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM opened)
$$;
-- +goose StatementEnd

-- The session whose cookie secret hashes to p_secret_hash, if it is valid at p_now and
-- its user is not disabled, with its user (no password hash).
-- +goose StatementBegin
CREATE FUNCTION approdo_session(p_secret_hash bytea, p_now timestamptz)
RETURNS TABLE (session_id uuid, csrf_token text, expires_at timestamptz, id uuid, organisation text, email text,
    name text, role text, must_change_password boolean, locked_until timestamptz, disabled_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT s.id, s.csrf_token, s.expires_at, u.id, u.organisation, u.email, u.name, u.role,
           u.must_change_password, u.locked_until, u.disabled_at
    FROM user_session s JOIN app_user u ON u.id = s.user_id
    WHERE s.secret_hash = p_secret_hash AND s.revoked_at IS NULL AND s.expires_at > p_now AND u.disabled_at IS NULL
$$;
-- +goose StatementEnd

-- Logout.
-- +goose StatementBegin
CREATE FUNCTION approdo_end_session(p_session uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE user_session SET revoked_at = now() WHERE id = p_session AND revoked_at IS NULL
$$;
-- +goose StatementEnd

-- The password hash of the user of a valid session, to check the current password
-- before changing it.
-- +goose StatementBegin
CREATE FUNCTION approdo_session_password_hash(p_session uuid, p_now timestamptz) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.password_hash FROM user_session s JOIN app_user u ON u.id = s.user_id
    WHERE s.id = p_session AND s.revoked_at IS NULL AND s.expires_at > p_now AND u.disabled_at IS NULL
$$;
-- +goose StatementEnd

-- Sets a user's password: failures cleared, unused links dead, every session but
-- p_keep_session ended. Not granted: the functions below call it.
-- +goose StatementBegin
CREATE FUNCTION approdo_set_password_of(p_user uuid, p_hash text, p_keep_session uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE app_user SET password_hash = p_hash, must_change_password = false, failed_logins = 0, locked_until = NULL
    WHERE id = p_user;
    UPDATE password_token SET used_at = now() WHERE user_id = p_user AND used_at IS NULL;
    UPDATE user_session SET revoked_at = now()
    WHERE user_id = p_user AND revoked_at IS NULL AND id IS DISTINCT FROM p_keep_session;
$$;
-- +goose StatementEnd

-- A logged-in user changes the password: the session stays, the others end. False if
-- the session is not valid.
-- +goose StatementBegin
CREATE FUNCTION approdo_change_password(p_session uuid, p_now timestamptz, p_hash text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_user uuid;
BEGIN
    SELECT s.user_id INTO v_user FROM user_session s JOIN app_user u ON u.id = s.user_id
    WHERE s.id = p_session AND s.revoked_at IS NULL AND s.expires_at > p_now AND u.disabled_at IS NULL;
    IF v_user IS NULL THEN
        RETURN false;
    END IF;
    PERFORM approdo_set_password_of(v_user, p_hash, p_session);
    RETURN true;
END
$$;
-- +goose StatementEnd

-- Spends an invitation or reset link and sets the password it is for, at once. No row
-- for an unknown link; a known one says whose it is and whether it worked (it does not
-- once used or expired, or for a disabled user).
-- +goose StatementBegin
CREATE FUNCTION approdo_redeem_password_token(p_secret_hash bytea, p_now timestamptz, p_hash text)
RETURNS TABLE (user_id uuid, organisation text, redeemed boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_token uuid;
BEGIN
    SELECT t.id, t.user_id, u.organisation, (t.used_at IS NULL AND t.expires_at > p_now AND u.disabled_at IS NULL)
    INTO v_token, user_id, organisation, redeemed
    FROM password_token t JOIN app_user u ON u.id = t.user_id
    WHERE t.secret_hash = p_secret_hash
    FOR UPDATE OF t;
    IF v_token IS NULL THEN
        RETURN;
    END IF;
    IF redeemed THEN
        UPDATE password_token SET used_at = p_now WHERE id = v_token;
        PERFORM approdo_set_password_of(user_id, p_hash, NULL);
    END IF;
    RETURN NEXT;
END
$$;
-- +goose StatementEnd

-- Queues an invitation or reset link for a user who is not disabled: the token (its
-- hash) and the message carrying its secret, together. False if there is no such user.
-- +goose StatementBegin
CREATE FUNCTION approdo_queue_password_link(p_token uuid, p_user uuid, p_purpose text, p_secret_hash bytea,
    p_expires timestamptz, p_key text, p_secret text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM 1 FROM app_user WHERE id = p_user AND disabled_at IS NULL;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO password_token (id, user_id, purpose, secret_hash, expires_at)
    VALUES (p_token, p_user, p_purpose, p_secret_hash, p_expires);
    INSERT INTO account_message (key, user_id, kind, channel, secret) VALUES (p_key, p_user, p_purpose, 'email', p_secret);
    RETURN true;
END
$$;
-- +goose StatementEnd

-- Disables a user of the caller's organisation (any, for the worker and the CLI, which
-- act as 'system'): every session ends and unused links die. False if the caller has no
-- such user. Disabling again changes nothing.
-- +goose StatementBegin
CREATE FUNCTION approdo_disable_user(p_user uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE app_user SET disabled_at = coalesce(disabled_at, now())
    WHERE id = p_user AND (approdo_org() = 'system' OR organisation = approdo_org());
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    UPDATE user_session SET revoked_at = now() WHERE user_id = p_user AND revoked_at IS NULL;
    UPDATE password_token SET used_at = now() WHERE user_id = p_user AND used_at IS NULL;
    RETURN true;
END
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION approdo_account_message_secret(text), approdo_login_account(text),
    approdo_note_login_failure(uuid, int, timestamptz), approdo_note_login_success(uuid, bytea),
    approdo_open_session(uuid, uuid, bytea, text, timestamptz), approdo_session(bytea, timestamptz),
    approdo_end_session(uuid), approdo_session_password_hash(uuid, timestamptz),
    approdo_set_password_of(uuid, text, uuid), approdo_change_password(uuid, timestamptz, text),
    approdo_redeem_password_token(bytea, timestamptz, text),
    approdo_queue_password_link(uuid, uuid, text, bytea, timestamptz, text, text), approdo_disable_user(uuid)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approdo_account_message_secret(text), approdo_login_account(text),
    approdo_note_login_failure(uuid, int, timestamptz), approdo_note_login_success(uuid, bytea),
    approdo_open_session(uuid, uuid, bytea, text, timestamptz), approdo_session(bytea, timestamptz),
    approdo_end_session(uuid), approdo_session_password_hash(uuid, timestamptz),
    approdo_change_password(uuid, timestamptz, text), approdo_redeem_password_token(bytea, timestamptz, text),
    approdo_queue_password_link(uuid, uuid, text, bytea, timestamptz, text, text), approdo_disable_user(uuid)
    TO approdo_app;

-- +goose Down
DROP FUNCTION approdo_disable_user(uuid);
DROP FUNCTION approdo_queue_password_link(uuid, uuid, text, bytea, timestamptz, text, text);
DROP FUNCTION approdo_redeem_password_token(bytea, timestamptz, text);
DROP FUNCTION approdo_change_password(uuid, timestamptz, text);
DROP FUNCTION approdo_set_password_of(uuid, text, uuid);
DROP FUNCTION approdo_session_password_hash(uuid, timestamptz);
DROP FUNCTION approdo_end_session(uuid);
DROP FUNCTION approdo_session(bytea, timestamptz);
DROP FUNCTION approdo_open_session(uuid, uuid, bytea, text, timestamptz);
DROP FUNCTION approdo_note_login_success(uuid, bytea);
DROP FUNCTION approdo_note_login_failure(uuid, int, timestamptz);
DROP FUNCTION approdo_login_account(text);
DROP FUNCTION approdo_account_message_secret(text);
DROP POLICY account_message_update ON account_message;
DROP POLICY account_message_insert ON account_message;
DROP POLICY account_message_read ON account_message;
DROP POLICY user_update ON app_user;
DROP POLICY user_insert ON app_user;
DROP POLICY user_read ON app_user;
REVOKE ALL ON app_user, user_session, password_token, account_message FROM approdo_app;
ALTER TABLE account_message DISABLE ROW LEVEL SECURITY;
ALTER TABLE password_token DISABLE ROW LEVEL SECURITY;
ALTER TABLE user_session DISABLE ROW LEVEL SECURITY;
ALTER TABLE app_user DISABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON app_user TO approdo_app;
GRANT UPDATE (password_hash, must_change_password, failed_logins, locked_until, first_login_at, disabled_at, known_address_hash)
    ON app_user TO approdo_app;
GRANT SELECT, INSERT ON user_session TO approdo_app;
GRANT UPDATE (revoked_at) ON user_session TO approdo_app;
GRANT SELECT, INSERT ON password_token TO approdo_app;
GRANT UPDATE (used_at) ON password_token TO approdo_app;
GRANT SELECT, INSERT ON account_message TO approdo_app;
GRANT UPDATE (secret, address, message_id, attempts, last_error, sending_since, sent_at, delivered_at, undelivered)
    ON account_message TO approdo_app;
