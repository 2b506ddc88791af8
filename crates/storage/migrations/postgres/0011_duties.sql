-- Separation of duties (三员分立) and throttles without races (issue 25).

-- An attempt at a secret is taken in one statement before the secret is
-- compared: `refused` counts the attempts refused while locked or with every
-- allowed attempt taken (for the audit log), and `last_grant` holds the nonce
-- of the last attempt granted, by which the statement tells its caller
-- whether it was.
ALTER TABLE login_failures ADD COLUMN refused BIGINT NOT NULL DEFAULT 0;
ALTER TABLE login_failures ADD COLUMN last_grant TEXT;

-- A security administrator's act on a discipline account makes it set a new
-- second factor (and a new password) before anything else, whatever the
-- configuration requires of its role.
ALTER TABLE users ADD COLUMN must_set_up_totp BIGINT NOT NULL DEFAULT 0;

-- Discipline accounts made before the separation of duties may have been
-- made, or reset, by a system administrator who knows their password: each
-- sets its own password and a new second factor at its next sign-in, and
-- its sessions end now.
UPDATE users SET must_change_password = 1, must_set_up_totp = 1
WHERE role = 'discipline' AND password_hash <> '!';
DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE role = 'discipline');
