// Package codicefiscale checks Italian tax codes as they appear on enrolment requests. A
// newly arrived minor may have none, a provisional one (11 digits, given by the Agenzia
// delle Entrate while the identity is not yet established), or a full one (16 characters,
// where omocodia may have replaced digits with letters).
package codicefiscale

import (
	"errors"
	"strings"
)

// Kind says which form of codice fiscale a valid code has.
type Kind int

// The forms of a valid codice fiscale.
const (
	Full        Kind = iota + 1 // 16 characters, for persons
	Provisional                 // 11 digits, as given to foreigners pending identification
)

// Errors say what is wrong, in Italian, for the operator who typed the code. They never
// contain the code itself.
var (
	ErrLength   = errors.New("deve avere 16 caratteri (o 11 cifre se provvisorio)")
	ErrPattern  = errors.New("non ha la forma di un codice fiscale")
	ErrChecksum = errors.New("il carattere di controllo non corrisponde: verificare di averlo copiato correttamente")
)

// Normalize removes spaces and makes letters upper case, as codes are often typed.
func Normalize(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// Validate checks a normalized code and says which kind it is.
func Validate(code string) (Kind, error) {
	switch len(code) {
	case 16:
		return Full, validateFull(code)
	case 11:
		return Provisional, validateProvisional(code)
	default:
		return 0, ErrLength
	}
}

// omocodiaDigits are the letters that replace the digits 0–9 when two people would
// otherwise share a code.
const omocodiaDigits = "LMNPQRSTUV"

// monthLetters encode the month of birth.
const monthLetters = "ABCDEHLMPRST"

func validateFull(code string) error {
	for i := 0; i < 16; i++ {
		c := code[i]
		switch {
		case i < 6 || i == 11 || i == 15:
			if !isLetter(c) {
				return ErrPattern
			}
		case i == 8:
			if strings.IndexByte(monthLetters, c) < 0 {
				return ErrPattern
			}
		default: // positions that hold digits, or their omocodia letters
			if !isDigit(c) && strings.IndexByte(omocodiaDigits, c) < 0 {
				return ErrPattern
			}
		}
	}
	day := digitValue(code[9])*10 + digitValue(code[10])
	if day < 1 || (day > 31 && day < 41) || day > 71 {
		return ErrPattern
	}
	if checkLetter(code[:15]) != code[15] {
		return ErrChecksum
	}
	return nil
}

// digitValue reads a digit position, undoing omocodia.
func digitValue(c byte) int {
	if isDigit(c) {
		return int(c - '0')
	}
	return strings.IndexByte(omocodiaDigits, c)
}

// oddValues are the weights of characters in odd positions (1st, 3rd, …), indexed by
// digit value or by letter offset.
var oddValues = [26]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}

func checkLetter(first15 string) byte {
	sum := 0
	for i := 0; i < 15; i++ {
		c := first15[i]
		var v int
		if isDigit(c) {
			v = int(c - '0')
		} else {
			v = int(c - 'A')
		}
		if i%2 == 0 { // odd position, counting from one
			sum += oddValues[v]
		} else {
			sum += v
		}
	}
	return byte('A' + sum%26)
}

func validateProvisional(code string) error {
	for i := 0; i < 11; i++ {
		if !isDigit(code[i]) {
			return ErrPattern
		}
	}
	// The check digit of an 11-digit code is the one of a partita IVA.
	sum := 0
	for i := 0; i < 10; i++ {
		d := int(code[i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	if (10-sum%10)%10 != int(code[10]-'0') {
		return ErrChecksum
	}
	return nil
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
