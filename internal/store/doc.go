// Package store keeps Approdo's records in PostgreSQL. SQL lives in the .sql files of
// queries/ and migrations/, embedded in the binary. Database errors become the package's
// own errors here and nowhere else, so callers test them with errors.Is.
package store
