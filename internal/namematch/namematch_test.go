package namematch_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/approdo/approdo/internal/namematch"
)

// TestTransliterateFollowsTheOfficialTable checks every example of the table annexed to
// resolution no. 55 of 2010 of the Cabinet of Ministers of Ukraine, letter by letter.
func TestTransliterateFollowsTheOfficialTable(t *testing.T) {
	t.Parallel()
	examples := map[string]string{
		"Алушта": "Alushta", "Андрій": "Andrii",
		"Борщагівка": "Borshchahivka", "Борисенко": "Borysenko",
		"Вінниця": "Vinnytsia", "Володимир": "Volodymyr",
		"Гадяч": "Hadiach", "Богдан": "Bohdan", "Згурський": "Zghurskyi",
		"Ґалаґан": "Galagan", "Ґорґани": "Gorgany",
		"Донецьк": "Donetsk", "Дмитро": "Dmytro",
		"Рівне": "Rivne", "Олег": "Oleh", "Есмань": "Esman",
		"Єнакієве": "Yenakiieve", "Гаєвич": "Haievych", "Короп'є": "Koropie",
		"Житомир": "Zhytomyr", "Жанна": "Zhanna", "Жежелів": "Zhezheliv",
		"Закарпаття": "Zakarpattia", "Казимирчук": "Kazymyrchuk",
		"Медвин": "Medvyn", "Михайленко": "Mykhailenko",
		"Іванків": "Ivankiv", "Іващенко": "Ivashchenko",
		"Їжакевич": "Yizhakevych", "Кадиївка": "Kadyivka", "Мар'їне": "Marine",
		"Йосипівка": "Yosypivka", "Стрий": "Stryi", "Олексій": "Oleksii",
		"Київ": "Kyiv", "Коваленко": "Kovalenko",
		"Лебедин": "Lebedyn", "Леонід": "Leonid",
		"Миколаїв": "Mykolaiv", "Маринич": "Marynych",
		"Ніжин": "Nizhyn", "Наталія": "Nataliia",
		"Одеса": "Odesa", "Онищенко": "Onyshchenko",
		"Полтава": "Poltava", "Петро": "Petro",
		"Решетилівка": "Reshetylivka", "Рибчинський": "Rybchynskyi",
		"Суми": "Sumy", "Соломія": "Solomiia",
		"Тернопіль": "Ternopil", "Троць": "Trots",
		"Ужгород": "Uzhhorod", "Уляна": "Uliana",
		"Фастів": "Fastiv", "Філіпчук": "Filipchuk",
		"Харків": "Kharkiv", "Христина": "Khrystyna",
		"Біла Церква": "Bila Tserkva", "Стеценко": "Stetsenko",
		"Чернівці": "Chernivtsi", "Шевченко": "Shevchenko",
		"Шостка": "Shostka", "Кишеньки": "Kyshenky",
		"Щербухи": "Shcherbukhy", "Гоща": "Hoshcha", "Гаращенко": "Harashchenko",
		"Юрій": "Yurii", "Корюківка": "Koriukivka",
		"Яготин": "Yahotyn", "Ярошенко": "Yaroshenko", "Костянтин": "Kostiantyn",
		"Знам'янка": "Znamianka", "Феодосія": "Feodosiia",
		"Згорани": "Zghorany", "Розгон": "Rozghon",
		"Олександр": "Oleksandr",
	}
	for cyrillic, latin := range examples {
		require.Equal(t, latin, namematch.Transliterate(cyrillic), cyrillic)
	}
}

func TestTransliterateKeepsLatinAndMarksWordStarts(t *testing.T) {
	t.Parallel()
	require.Equal(t, "Anna-Maria D'Angelo", namematch.Transliterate("Anna-Maria D'Angelo"))
	// є, ї, й, ю, я are written with y at the start of every word of a double name.
	require.Equal(t, "Yuliia-Yaryna", namematch.Transliterate("Юлія-Ярина"))
	require.Equal(t, "OLEKSANDR", upper(namematch.Transliterate("ОЛЕКСАНДР")))
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestKeyJoinsSpellingsOfOneName(t *testing.T) {
	t.Parallel()
	type minor struct{ given, family, born string }
	cases := map[string]struct {
		a, b minor
	}{
		"Cyrillic and the official Latin":  {minor{"Олександр", "Коваленко", "2015-03-02"}, minor{"Oleksandr", "Kovalenko", "2015-03-02"}},
		"case and surrounding spaces":      {minor{"OLENA", "  shevchenko ", "2014-01-20"}, minor{"Olena", "Shevchenko", "2014-01-20"}},
		"accents":                          {minor{"Zoë", "Çelik", "2016-05-05"}, minor{"Zoe", "Celik", "2016-05-05"}},
		"Italian accents":                  {minor{"Niccolò", "Abbà", "2016-05-05"}, minor{"Niccolo", "Abba", "2016-05-05"}},
		"apostrophe kinds":                 {minor{"Mario", "D’Angelo", "2012-07-07"}, minor{"Mario", "D'Angelo", "2012-07-07"}},
		"apostrophe dropped":               {minor{"Mario", "D'Angelo", "2012-07-07"}, minor{"Mario", "DAngelo", "2012-07-07"}},
		"Ukrainian apostrophe":             {minor{"Мар'яна", "Бойко", "2013-11-30"}, minor{"Mariana", "Boiko", "2013-11-30"}},
		"double name with hyphen or space": {minor{"Anna-Maria", "Rossi", "2011-02-02"}, minor{"Anna Maria", "Rossi", "2011-02-02"}},
		"given and family name swapped":    {minor{"Kovalenko", "Oleksandr", "2015-03-02"}, minor{"Oleksandr", "Kovalenko", "2015-03-02"}},
		"pre-2010 passport ia/ya":          {minor{"Юлія", "Мельник", "2014-09-09"}, minor{"Yulia", "Melnyk", "2014-09-09"}},
		"ii against iy":                    {minor{"Сергій", "Бондар", "2010-12-12"}, minor{"Serhiy", "Bondar", "2010-12-12"}},
		"h written g (older spelling)":     {minor{"Сергій", "Бондар", "2010-12-12"}, minor{"Sergii", "Bondar", "2010-12-12"}},
		"Ganna and Hanna":                  {minor{"Ганна", "Ткаченко", "2012-04-04"}, minor{"Ganna", "Tkachenko", "2012-04-04"}},
		"x for ks":                         {minor{"Олександр", "Лисенко", "2015-03-02"}, minor{"Olexandr", "Lysenko", "2015-03-02"}},
		"i for y (Russian-style и)":        {minor{"Мирослава", "Кравчук", "2013-03-03"}, minor{"Miroslava", "Kravchuk", "2013-03-03"}},
		"j for й":                          {minor{"Андрій", "Мороз", "2012-08-08"}, minor{"Andrij", "Moroz", "2012-08-08"}},
		"Wolodymyr":                        {minor{"Володимир", "Савченко", "2011-01-01"}, minor{"Wolodymyr", "Sawchenko", "2011-01-01"}},
		"Russian keyboard letters":         {minor{"Олэна", "Ткачэнко", "2012-04-04"}, minor{"Olena", "Tkachenko", "2012-04-04"}},
		"mixed scripts in one filing":      {minor{"Олена", "Shevchenko", "2014-01-20"}, minor{"Olena", "Шевченко", "2014-01-20"}},
		"zgh is not zh":                    {minor{"Згурська", "Іра", "2010-10-10"}, minor{"Zghurska", "Ira", "2010-10-10"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := namematch.Key(c.a.given, c.a.family, c.a.born)
			require.NotEmpty(t, a)
			require.Equal(t, a, namematch.Key(c.b.given, c.b.family, c.b.born))
		})
	}
}

func TestKeyKeepsDifferentMinorsApart(t *testing.T) {
	t.Parallel()
	type minor struct{ given, family, born string }
	cases := map[string]struct {
		a, b minor
	}{
		"another birth date":                       {minor{"Oleksandr", "Kovalenko", "2015-03-02"}, minor{"Oleksandr", "Kovalenko", "2015-03-03"}},
		"day and month swapped":                    {minor{"Oleksandr", "Kovalenko", "2015-03-02"}, minor{"Oleksandr", "Kovalenko", "2015-02-03"}},
		"a sibling (another given name)":           {minor{"Olena", "Kovalenko", "2015-03-02"}, minor{"Oleksandr", "Kovalenko", "2015-03-02"}},
		"the Russian form of the name (Aleksandr)": {minor{"Олександр", "Коваленко", "2015-03-02"}, minor{"Aleksandr", "Kovalenko", "2015-03-02"}},
		"the Russian form of the name (Elena)":     {minor{"Олена", "Коваленко", "2015-03-02"}, minor{"Elena", "Kovalenko", "2015-03-02"}},
		"a word missing":                           {minor{"Anna Maria", "Rossi", "2011-02-02"}, minor{"Anna", "Rossi", "2011-02-02"}},
		"double name run together":                 {minor{"Anna Maria", "Rossi", "2011-02-02"}, minor{"Annamaria", "Rossi", "2011-02-02"}},
		"feminine and masculine family name":       {minor{"Iryna", "Zghurska", "2010-10-10"}, minor{"Iryna", "Zghurskyi", "2010-10-10"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.NotEqual(t, namematch.Key(c.a.given, c.a.family, c.a.born), namematch.Key(c.b.given, c.b.family, c.b.born))
		})
	}
}

func TestKeyIsEmptyWithoutNameOrBirthDate(t *testing.T) {
	t.Parallel()
	require.Empty(t, namematch.Key("", " - ", "2015-03-02"))
	require.Empty(t, namematch.Key("Olena", "Shevchenko", ""))
}

func TestKeyIsADigestNotTheName(t *testing.T) {
	t.Parallel()
	k := namematch.Key("Olena", "Shevchenko", "2014-01-20")
	require.Len(t, k, 64)
	require.NotContains(t, k, "olena")
}

func TestWordsAreFoldedAndInWrittenOrder(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"iulia", "ianina"}, namematch.Words("Юлія-Яніна"))
	require.Equal(t, []string{"dangelo", "maria"}, namematch.Words("D'Àngelo  Mària"))
}
