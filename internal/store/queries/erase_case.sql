-- Erasure on request: pseudonymises one closed case now and records it on its timeline;
-- raises on an open one.
SELECT approdo_erase_case(@id, @actor, @reason)
