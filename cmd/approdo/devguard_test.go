package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDevRefusesADatabaseElsewhere(t *testing.T) {
	t.Parallel()
	for _, local := range []string{
		"postgres://approdo:x@127.0.0.1:54329/approdo",
		"postgres://approdo@localhost/approdo",
		"postgres://[::1]:5432/approdo",
		"host=/var/run/postgresql dbname=approdo",
		"host=127.0.0.2 port=5432 dbname=approdo",
	} {
		require.NoError(t, checkLocalDatabase(local), local)
	}
	for _, remote := range []string{
		"postgres://approdo:x@db.example.org/approdo",
		"postgres://approdo:x@10.0.0.5:5432/approdo",
		"host=db.internal user=approdo password=secret dbname=approdo",
		"postgres://127.0.0.1,db.example.org/approdo",
	} {
		err := checkLocalDatabase(remote)
		require.Error(t, err, remote)
		require.NotContains(t, err.Error(), "secret", "the error does not repeat the password")
	}
}
