-- The current import: the newest row. It keys the cache of the reference data.
SELECT id, sha256 FROM refdata_import ORDER BY id DESC LIMIT 1
