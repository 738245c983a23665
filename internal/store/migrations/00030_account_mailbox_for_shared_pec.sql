-- +goose Up
-- An account whose messages go to an address other than its login (issue 16).
--
-- Why: a login is one account's, but in the Ministry's registry 155 paritarie share 49 PEC
-- addresses (the managing body's: Milan's scuole comunali all have the Comune's). Each
-- school stays its own organisation with its own administrator, who logs in with the
-- school's codice meccanografico; mailbox is the shared PEC where its credentials,
-- reminders and password links go. NULL: the login is the address, as before.

ALTER TABLE app_user ADD COLUMN mailbox text;

GRANT SELECT (mailbox) ON app_user TO approdo_app;
GRANT INSERT (mailbox) ON app_user TO approdo_app;

-- +goose Down
REVOKE INSERT (mailbox) ON app_user FROM approdo_app;
REVOKE SELECT (mailbox) ON app_user FROM approdo_app;
ALTER TABLE app_user DROP COLUMN mailbox;
