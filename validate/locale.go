// SPDX-License-Identifier: Apache-2.0

package validate

import "golang.org/x/text/language"

// LanguageTag checks that s is a BCP 47 language tag, such as en, nl-BE or
// zh-Hant-TW, and returns its canonical form: subtags in their conventional
// case, "_" read as "-", and deprecated subtags replaced (iw becomes he).
// It refuses tags whose language is unknown or not stated, such as zz, und,
// und-US or x-private.
func LanguageTag(s string) (canonical string, err error) {
	const want = "must be a BCP 47 language tag such as en, nl or pt-BR"
	if s == "" || len(s) > 64 {
		return "", invalid(want)
	}
	tag, err := language.Parse(s)
	if err != nil {
		return "", invalid(want)
	}
	if _, conf := tag.Base(); conf != language.Exact { // und and x-… only have a guessed language
		return "", invalid(want)
	}
	return tag.String(), nil
}

// Country checks that s is an ISO 3166-1 alpha-2 country code in upper case,
// such as NL, that is assigned to a country or territory. It also accepts
// XK, the code for Kosovo that the EU, CLDR, libphonenumber and most payment
// systems use though ISO has not assigned it. It refuses reserved and
// grouping codes such as EU, UN and UK (the code for the United Kingdom is
// GB).
func Country(s string) error {
	if !countrySet[s] {
		return invalid("must be an ISO 3166-1 alpha-2 country code in capitals, such as NL or US")
	}
	return nil
}

var countrySet = setOf(countryCodes)

// countryCodes lists the 249 ISO 3166-1 alpha-2 codes in use (as in the IANA
// time zone database's iso3166.tab, which a corpus test compares it with)
// plus XK.
const countryCodes = "" +
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
	"DE DJ DK DM DO DZ " +
	"EC EE EG EH ER ES ET " +
	"FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
	"HK HM HN HR HT HU " +
	"ID IE IL IM IN IO IQ IR IS IT " +
	"JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ " +
	"LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ " +
	"OM " +
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY " +
	"QA " +
	"RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ " +
	"VA VC VE VG VI VN VU " +
	"WF WS " +
	"XK " +
	"YE YT " +
	"ZA ZM ZW"
