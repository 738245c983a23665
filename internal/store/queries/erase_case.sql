-- Erasure on request: pseudonymises one closed case now; raises on an open one.
SELECT approdo_erase_case(@id)
