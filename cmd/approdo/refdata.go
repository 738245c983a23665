package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/approdo/approdo/internal/refdata"
	"github.com/approdo/approdo/internal/store"
)

const refdataImportUsage = "usage: approdo refdata import|check [-comuni ISTAT.csv] [-ambiti TABLE.csv] [-pec ENTI.csv] [-schools REGISTRY.csv]... [-municipi TABLE.csv] [-patroni TABLE.csv] [-chiusure CLOSURES.csv] [-o OUT.yaml] FILE.yaml"

// runRefdataImport is `approdo refdata import [sources] FILE`, or with checkOnly
// `approdo refdata check [sources] FILE`.
func runRefdataImport(ctx context.Context, checkOnly bool, args []string) error {
	src, path, output, err := parseRefdataImport(args)
	if err != nil {
		return err
	}
	if checkOnly {
		d, err := loadReferenceData(os.Stdout, path, src)
		if err != nil {
			return err
		}
		if output != "" {
			if err := writeReferenceData(output, d, path, src); err != nil {
				return err
			}
			fmt.Printf("Wrote %s.\n", output)
		}
		fmt.Println("No problems found; nothing was imported.")
		return nil
	}
	if output != "" {
		return fmt.Errorf("-o goes with refdata check: write the file, review it, then import it: %w", errUsage)
	}
	_, _, pool, err := setupWithDatabase(ctx, "refdata", store.Open)
	if err != nil {
		return err
	}
	defer pool.Close()
	return importReferenceDataWith(ctx, os.Stdout, store.New(pool), path, src)
}

// files is a flag that can be given more than once.
type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

func parseRefdataImport(args []string) (src refdata.Sources, path, output string, err error) {
	var schools files
	flags := flag.NewFlagSet("refdata import", flag.ContinueOnError)
	flags.StringVar(&src.ISTAT, "comuni", "", "ISTAT's list of comuni (CSV): replaces the comuni, gives their cadastral codes")
	flags.StringVar(&src.Ambiti, "ambiti", "", "the comune → ambito table (CSV: istat;ambito)")
	flags.StringVar(&src.IndicePA, "pec", "", "IndicePA's open data of enti (CSV): the comuni's PEC")
	flags.Var(&schools, "schools", "the Ministry's school registry (CSV; state schools, paritarie: give it once per file)")
	flags.StringVar(&src.Municipi, "municipi", "", "Milano's CAP / school → municipio table (CSV), for the registry's schools")
	flags.StringVar(&src.Patrons, "patroni", "", "the comuni's patron days (CSV: istat;patron;source), e.g. deploy/refdata/sources/patroni-015.csv")
	flags.StringVar(&src.Closures, "chiusure", "", "the regional school calendar's closures (CSV: school_year;first;last;name;rite;source): replace the file's")
	flags.StringVar(&output, "o", "", "with check: write the file with the sources applied to OUT.yaml")
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), refdataImportUsage)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return src, "", "", err
	}
	if flags.NArg() != 1 {
		return src, "", "", fmt.Errorf("%s: %w", refdataImportUsage, errUsage)
	}
	src.Schools = schools
	return src, flags.Arg(0), output, nil
}

// writeReferenceData writes d to output, saying which files it was made from.
func writeReferenceData(output string, d *refdata.Dataset, path string, src refdata.Sources) error {
	header := fmt.Sprintf("Written by `approdo refdata check -o` on %s from %s", time.Now().Format(time.DateOnly), filepath.Base(path))
	if files := src.Files(); len(files) > 0 {
		var names []string
		for _, f := range files {
			names = append(names, filepath.Base(f))
		}
		header += " and " + strings.Join(names, ", ")
	}
	header += ".\nEach fact is as verified as its source: see deploy/refdata/sources/README.md.\n"
	if d.Sample {
		header += "SAMPLE DATA: parts of it are invented (see the file it was made from).\n"
	}
	var buf bytes.Buffer
	if err := d.WriteYAML(&buf, header); err != nil {
		return err
	}
	if err := os.WriteFile(output, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", output, err)
	}
	return nil
}

// importReferenceData imports a reference data file alone, as the dev stack does.
func importReferenceData(ctx context.Context, out io.Writer, s *store.Store, path string) error {
	return importReferenceDataWith(ctx, out, s, path, refdata.Sources{})
}

// importReferenceDataWith checks the whole file and all its sources first and changes
// nothing unless all of it is valid.
func importReferenceDataWith(ctx context.Context, out io.Writer, s *store.Store, path string, src refdata.Sources) error {
	d, err := loadReferenceData(out, path, src)
	if err != nil {
		return err
	}
	sum, err := fingerprint(path, src)
	if err != nil {
		return err
	}
	res, err := s.ReplaceReferenceData(ctx, d, sum)
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

// loadReferenceData reads and checks path with its sources, saying what the sources
// changed.
func loadReferenceData(out io.Writer, path string, src refdata.Sources) (*refdata.Dataset, error) {
	if n := len(src.Files()); n > 0 {
		fmt.Fprintf(out, "Checking %s with %d source file(s)…\n", path, n)
	} else {
		fmt.Fprintf(out, "Checking %s…\n", path)
	}
	d, notes, err := refdata.Load(path, src, out)
	for _, note := range notes {
		fmt.Fprintln(out, "  "+note)
	}
	if err != nil {
		return nil, fmt.Errorf("%s was not imported; nothing changed.\n%w", path, err)
	}
	if d.Sample {
		fmt.Fprintln(out, "Warning: this file is marked as SAMPLE data (sample: true); it is not fit for production.")
	}
	return d, nil
}

// fingerprint identifies an import: the file alone as before sources existed, else the
// file and each source with its name, so that importing the same files again changes
// nothing.
func fingerprint(path string, src refdata.Sources) (string, error) {
	h := sha256.New()
	for i, p := range append([]string{path}, src.Files()...) {
		if i > 0 {
			fmt.Fprintf(h, "\x00%s\x00", filepath.Base(p))
		}
		f, err := os.Open(p)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", p, err)
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("read %s: %w", p, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
