package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
)

func runRefdataImport(ctx context.Context, path string) error {
	_, _, pool, err := setupWithDatabase(ctx, "refdata", store.Open)
	if err != nil {
		return err
	}
	defer pool.Close()
	return importReferenceData(ctx, os.Stdout, store.New(pool), path)
}

// importReferenceData checks the whole file first and changes nothing unless all of it is
// valid.
func importReferenceData(ctx context.Context, out io.Writer, s *store.Store, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read reference data: %w", err)
	}
	fmt.Fprintf(out, "Checking %s…\n", path)
	d, err := refdata.Parse(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s was not imported; nothing changed.\n%w", path, err)
	}
	if d.Sample {
		fmt.Fprintln(out, "Warning: this file is marked as SAMPLE data (sample: true); it is not fit for production.")
	}
	sum := sha256.Sum256(data)
	res, err := s.ReplaceReferenceData(ctx, d, hex.EncodeToString(sum[:]))
	if err != nil {
		return err
	}
	if res.Unchanged {
		fmt.Fprintf(out, "Reference data version %q is already the current one; nothing changed.\n", d.Version)
		return nil
	}
	fmt.Fprintf(out, "Imported reference data version %q: %d ambiti, %d Poli START, %d comuni, %d schools.\n",
		d.Version, res.Counts["ambiti"], res.Counts["poli_start"], res.Counts["comuni"], res.Counts["schools"])
	return nil
}
