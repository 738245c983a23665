package intake

import (
	"bytes"
	"path/filepath"
	"strings"
)

var (
	// zipMagic starts every zip file, hence every .xlsx.
	zipMagic = []byte("PK\x03\x04")
	// oleMagic starts an old .xls, and an .xlsx protected by a password.
	oleMagic = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}
	// odsMime is near the start of a LibreOffice spreadsheet, also a zip.
	odsMime = []byte("application/vnd.oasis.opendocument")
	utf16LE = []byte{0xff, 0xfe}
	utf16BE = []byte{0xfe, 0xff}
)

// DetectFormat tells the format of an uploaded file from its first bytes (head: 512 are
// plenty) and, failing that, from its name. The content wins over the name, since a
// browser or a user may rename a file. The error, a *FileError, says what to upload
// instead.
func DetectFormat(filename string, head []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(head, zipMagic):
		if bytes.Contains(head, odsMime) {
			return "", &FileError{Reason: "i file di LibreOffice (.ods) non sono accettati: salvarlo come .xlsx o come CSV UTF-8"}
		}
		return FormatXLSX, nil
	case bytes.HasPrefix(head, oleMagic):
		return "", &FileError{Reason: "è un file Excel nel vecchio formato .xls, o protetto da password: salvarlo come .xlsx senza password o come CSV UTF-8"}
	case bytes.HasPrefix(head, utf16LE), bytes.HasPrefix(head, utf16BE):
		return "", &FileError{Reason: "il testo è in UTF-16: salvare il file come «CSV UTF-8»"}
	}
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".csv", ".txt":
		if bytes.IndexByte(head, 0) >= 0 {
			return "", &FileError{Reason: "il file non è un CSV: caricare un file .csv o .xlsx"}
		}
		return FormatCSV, nil
	case ".xlsx", ".xlsm":
		if len(head) > 0 {
			return "", &FileError{Reason: "il file non è un file Excel (.xlsx) valido"}
		}
		return FormatXLSX, nil
	}
	return "", &FileError{Reason: "formato non riconosciuto: caricare un file .csv o .xlsx"}
}
