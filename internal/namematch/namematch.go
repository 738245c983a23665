// Package namematch decides whether two filings name the same minor when no shared
// codice fiscale says so: it reduces a minor's names and birth date to a key that is the
// same for the spellings of one name that offices actually produce, and different
// otherwise.
//
// The rule, in order:
//
//  1. Cyrillic is transliterated into Latin with the official Ukrainian national
//     transliteration (Cabinet of Ministers of Ukraine, resolution no. 55 of 27 January
//     2010, "Про впорядкування транслітерації українського алфавіту латиницею"), the
//     table Ukrainian passports use since 2010: Олександр is Oleksandr. The Russian
//     letters that the Ukrainian alphabet lacks (ы, э, ё, ъ) are given their usual Latin
//     forms, so a name typed on a Russian keyboard is read too.
//  2. Accents and other diacritics are dropped (Zoë, Zoe; Çelik, Celik), as are
//     apostrophes, which the 2010 table does not transliterate (Знам'янка, Znamianka;
//     D'Angelo, DAngelo).
//  3. Letters are folded where transliterations of the same Cyrillic letter disagree:
//     older Ukrainian passports and Russian-style spellings write г as g rather than h,
//     и and й as i or j rather than y, х as h or x rather than kh, кс as x. So j and y
//     become i, h becomes g, x becomes ks, w (German and Polish spellings of в) becomes
//     v, and a doubled letter counts once (Yuliia, Yulia, Iuliia and Juliia agree;
//     Serhii, Sergii and Serhiy agree; Hanna and Ganna agree; Wolodymyr and Volodymyr
//     agree).
//  4. The names become words (split at spaces, hyphens and dots) and the words of the
//     given and the family name are sorted together: a double name written with a hyphen
//     or a space agrees, and so does a form that swapped given and family name, a common
//     slip with documents that print the family name first.
//  5. The birth date must be the same day.
//
// What is deliberately not matched: a Russian form of a Ukrainian name (Aleksandr for
// Oleksandr, Elena for Olena) is a different name, not a different spelling, and
// matching it would need a dictionary of name equivalents; a name with a word missing
// (Anna against Anna Maria); a birth date off by a day or with day and month swapped.
// These are misses, and a miss is cheap: the case is opened and UST can still see both.
// A false merge is not cheap: a second child's request would be refused, or a school's
// enrolment would close another child's case and the first child would wait for a school
// nobody is looking for. So every fold above is one that only ever joins spellings of one
// written name, and the birth date must agree exactly on top of it.
package namematch

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ukrainian is the table of the Cabinet of Ministers' resolution no. 55 of 2010: each
// Cyrillic letter (lower case) with its Latin form inside a word and, where the table
// gives a different one, at the start of a word. The soft sign and the apostrophe have
// no Latin form.
var ukrainian = map[rune]struct{ inside, initial string }{
	'а': {"a", ""}, 'б': {"b", ""}, 'в': {"v", ""}, 'г': {"h", ""}, 'ґ': {"g", ""},
	'д': {"d", ""}, 'е': {"e", ""}, 'є': {"ie", "ye"}, 'ж': {"zh", ""}, 'з': {"z", ""},
	'и': {"y", ""}, 'і': {"i", ""}, 'ї': {"i", "yi"}, 'й': {"i", "y"}, 'к': {"k", ""},
	'л': {"l", ""}, 'м': {"m", ""}, 'н': {"n", ""}, 'о': {"o", ""}, 'п': {"p", ""},
	'р': {"r", ""}, 'с': {"s", ""}, 'т': {"t", ""}, 'у': {"u", ""}, 'ф': {"f", ""},
	'х': {"kh", ""}, 'ц': {"ts", ""}, 'ч': {"ch", ""}, 'ш': {"sh", ""}, 'щ': {"shch", ""},
	'ь': {"", ""}, 'ю': {"iu", "yu"}, 'я': {"ia", "ya"},
	// Not Ukrainian letters: the usual Latin forms of the Russian ones, so that a name
	// typed with them is still read.
	'ы': {"y", ""}, 'э': {"e", ""}, 'ё': {"io", "yo"}, 'ъ': {"", ""},
}

// apostrophes are the characters written for the Ukrainian apostrophe and for the
// Italian elision; none of them is transliterated or kept.
const apostrophes = "'’ʼ`´‘"

// Transliterate writes s in Latin letters with the official Ukrainian table (resolution
// no. 55 of 2010), keeping the case of each letter as far as the table allows (Щ is
// Shch). Characters that are not Cyrillic are kept as they are; the apostrophe is
// dropped between Cyrillic letters, as the table says.
func Transliterate(s string) string {
	var b strings.Builder
	runes := []rune(s)
	for i, r := range runes {
		lower := unicode.ToLower(r)
		t, ok := ukrainian[lower]
		if !ok {
			if strings.ContainsRune(apostrophes, r) && i > 0 && isCyrillic(runes[i-1]) {
				continue
			}
			b.WriteRune(r)
			continue
		}
		latin := t.inside
		if t.initial != "" && wordStart(runes, i) {
			latin = t.initial
		}
		// зг is zgh, so that it is not read as ж (zh).
		if lower == 'г' && i > 0 && unicode.ToLower(runes[i-1]) == 'з' {
			latin = "gh"
		}
		if latin != "" && unicode.IsUpper(r) {
			// A capital becomes a capital and lower case: Щ is Shch, not SHCH, as in
			// names written with a capital initial only.
			latin = strings.ToUpper(latin[:1]) + latin[1:]
		}
		b.WriteString(latin)
	}
	return b.String()
}

func isCyrillic(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }

// wordStart reports whether runes[i] begins a word: nothing but separators before it.
func wordStart(runes []rune, i int) bool {
	return i == 0 || !(unicode.IsLetter(runes[i-1]) || strings.ContainsRune(apostrophes, runes[i-1]))
}

// Words returns the words of a name as the key compares them: transliterated, without
// diacritics or apostrophes, folded (see the package comment) and in lower case, in the
// order written.
func Words(name string) []string {
	latin := norm.NFD.String(Transliterate(norm.NFC.String(name)))
	var words []string
	var w strings.Builder
	flush := func() {
		if w.Len() > 0 {
			words = append(words, fold(w.String()))
			w.Reset()
		}
	}
	for _, r := range latin {
		switch {
		case unicode.Is(unicode.Mn, r) || strings.ContainsRune(apostrophes, r):
			// a diacritic left by the decomposition, or an apostrophe: dropped
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			w.WriteRune(unicode.ToLower(special(r)))
		default:
			flush() // spaces, hyphens, dots, commas
		}
	}
	flush()
	return words
}

// special spells the Latin letters that do not decompose into a base letter and an
// accent.
func special(r rune) rune {
	switch r {
	case 'ø', 'Ø':
		return 'o'
	case 'ł', 'Ł':
		return 'l'
	case 'đ', 'Đ':
		return 'd'
	case 'ß':
		return 's'
	case 'ı':
		return 'i'
	}
	return r
}

// fold joins the Latin spellings that different transliterations give to one Cyrillic
// letter (see the package comment), then counts a doubled letter once.
func fold(word string) string {
	word = strings.NewReplacer("x", "ks", "j", "i", "y", "i", "h", "g", "w", "v").Replace(word)
	var b strings.Builder
	var last rune
	for _, r := range word {
		if r != last {
			b.WriteRune(r)
		}
		last = r
	}
	return b.String()
}

// Key is the matching key of a minor: the SHA-256, in hex, of the birth date and the
// sorted words of both names. Two filings with the same key name the same minor by the
// rule of this package. The key is a digest so that it can be compared and indexed
// without being read back: it still derives from personal data and is kept, and erased,
// with the names. An empty key means there is nothing to match on (no name or no birth
// date).
func Key(givenName, familyName, birthDate string) string {
	words := append(Words(givenName), Words(familyName)...)
	birthDate = strings.TrimSpace(birthDate)
	if len(words) == 0 || birthDate == "" {
		return ""
	}
	slices.Sort(words)
	sum := sha256.Sum256([]byte(birthDate + "|" + strings.Join(words, " ")))
	return hex.EncodeToString(sum[:])
}
