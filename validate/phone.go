// SPDX-License-Identifier: Apache-2.0

package validate

import (
	"errors"
	"strconv"

	"github.com/nyaruka/phonenumbers"
)

// Phone checks a phone number as a person typed it and returns its E.164
// form, such as +31201234567, following libphonenumber's rules.
//
// The country is the region the number belongs to, as an upper-case ISO
// 3166-1 alpha-2 code such as NL. It decides how a national number like
// 020 123 4567 is read. It may be empty only when the number starts with +.
// Phone accepts every region that libphonenumber knows: the ISO 3166-1 codes
// with phone numbers plus AC (Ascension Island), TA (Tristan da Cunha) and XK
// (Kosovo), which have calling codes or numbering plans of their own.
//
// A number that starts with + must belong to the given country when one is
// given, so that the stored country and number never disagree. The number must
// be a valid number, not only one of a possible length. An extension typed
// after the number is allowed and left out of the E.164 form.
func Phone(country, number string) (e164 string, err error) {
	switch {
	case country == "" && (number == "" || number[0] != '+'):
		return "", &Error{Field: "country", Message: "is required unless the number starts with + and the country calling code"}
	case country != "" && (!isUpper2(country) || !phonenumbers.GetSupportedRegions()[country]):
		return "", &Error{Field: "country", Message: "must be an ISO 3166-1 alpha-2 country code with phone numbers, such as NL"}
	}
	if number == "" {
		return "", &Error{Field: "number", Message: "is required"}
	}
	num, err := phonenumbers.Parse(number, country)
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "", &Error{Field: "number", Message: "must start with a country calling code that exists, such as +31"}
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return "", &Error{Field: "number", Message: "has too few digits"}
	case err != nil:
		return "", &Error{Field: "number", Message: "must be a phone number, such as +31 20 123 4567 or one written as it is dialled in the country"}
	}
	if country != "" {
		if want := phonenumbers.GetCountryCodeForRegion(country); int(num.GetCountryCode()) != want {
			return "", &Error{Field: "number", Message: "must start with +" + strconv.Itoa(want) + ", the calling code of " + country + ", or be written without a calling code"}
		}
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "", &Error{Field: "number", Message: "must start with a country calling code that exists, such as +31"}
	case phonenumbers.TOO_SHORT:
		return "", &Error{Field: "number", Message: "has too few digits"}
	case phonenumbers.TOO_LONG:
		return "", &Error{Field: "number", Message: "has too many digits"}
	default:
		return "", &Error{Field: "number", Message: "has the wrong number of digits"}
	}
	valid := phonenumbers.IsValidNumber(num)
	if country != "" {
		valid = phonenumbers.IsValidNumberForRegion(num, country)
	}
	if !valid {
		where := "its country"
		if country != "" {
			where = country
		}
		return "", &Error{Field: "number", Message: "is not a valid phone number in " + where + "; check the digits and the area code"}
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// isUpper2 reports whether s is two ASCII upper-case letters.
func isUpper2(s string) bool {
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}
