package intake

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

func FuzzReadCSV(f *testing.F) {
	sample, err := os.ReadFile("testdata/famiglie-esempio.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add(bytes.ReplaceAll(sample, []byte(","), []byte(";")))
	f.Add([]byte("\ufeff" + strings.Join(headerRow, ";") + "\r\n" + strings.Join(row("A-1", "X"), ";") + "\r\n"))
	f.Add([]byte(strings.Join(headerRow, ",") + "\n\"" + strings.Join(row("", "X"), ",") + "\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, file []byte) {
		res, err := Read(bytes.NewReader(file), FormatCSV, today, nil)
		if err != nil {
			if _, ok := err.(*FileError); !ok {
				t.Fatalf("error %T, want *FileError", err)
			}
			return
		}
		members := 0
		for _, fam := range res.Families {
			if errs := fam.Validate(today); errs != nil {
				t.Fatalf("accepted an invalid family: %v", errs)
			}
			members += len(fam.Members)
		}
		for _, rej := range res.Rejected {
			if len(rej.Errors) == 0 || len(rej.Lines) == 0 {
				t.Fatalf("rejected without errors or lines: %+v", rej)
			}
			members += len(rej.Lines)
		}
		if members != res.Lines {
			t.Fatalf("%d rows in families, %d read", members, res.Lines)
		}
		again, err := Read(bytes.NewReader(file), FormatCSV, today, nil)
		if err != nil || !reflect.DeepEqual(res, again) {
			t.Fatalf("a second read differs")
		}
	})
}
