-- What retention deletes outright: raw PEC messages received before @before, account
-- messages made before it, sessions and password links expired or spent at @now.
SELECT pec_messages, account_messages, sessions, tokens FROM approdo_purge(@before, @now)
