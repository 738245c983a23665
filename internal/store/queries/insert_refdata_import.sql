INSERT INTO refdata_import (version, sample, sha256) VALUES ($1, $2, $3)
