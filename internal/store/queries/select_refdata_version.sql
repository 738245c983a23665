SELECT version, sample FROM refdata_import ORDER BY id DESC LIMIT 1
