// SPDX-License-Identifier: Apache-2.0

package validate

import "strings"

// Currency checks that s is the upper-case ISO 4217 code of a currency in
// circulation, such as EUR, USD or JPY: a code an organisation can be billed
// in. It refuses withdrawn codes (such as DEM, HRK and BGN), fund codes (such
// as BOV and USN), precious metals, and the special codes XDR, XTS and XXX
// ("no currency"; an organisation without a currency leaves the field out).
//
// The list is kept here instead of taken from golang.org/x/text/currency,
// whose tables come from CLDR 32 (2017): they lack MRU, VES, SLE, VED, ZWG and
// XCG
// and still count HRK, ANG and ZWL as current.
func Currency(s string) error {
	if !currencySet[s] {
		return invalid("must be an ISO 4217 currency code in capitals, such as EUR or USD")
	}
	return nil
}

var currencySet = setOf(currencyCodes)

// currencyCodes lists ISO 4217 list one as published on 2025-05-12, less its
// fund codes, metals and special X codes, and less BGN, which the euro
// replaced on 2026-01-01.
const currencyCodes = "" +
	"AED AFN ALL AMD AOA ARS AUD AWG AZN " +
	"BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD " +
	"CAD CDF CHF CLP CNY COP CRC CUP CVE CZK " +
	"DJF DKK DOP DZD " +
	"EGP ERN ETB EUR " +
	"FJD FKP " +
	"GBP GEL GHS GIP GMD GNF GTQ GYD " +
	"HKD HNL HTG HUF " +
	"IDR ILS INR IQD IRR ISK " +
	"JMD JOD JPY " +
	"KES KGS KHR KMF KPW KRW KWD KYD KZT " +
	"LAK LBP LKR LRD LSL LYD " +
	"MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN " +
	"NAD NGN NIO NOK NPR NZD " +
	"OMR " +
	"PAB PEN PGK PHP PKR PLN PYG " +
	"QAR " +
	"RON RSD RUB RWF " +
	"SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL " +
	"THB TJS TMT TND TOP TRY TTD TWD TZS " +
	"UAH UGX USD UYU UZS " +
	"VED VES VND VUV " +
	"WST " +
	"XAF XCD XCG XOF XPF " +
	"YER " +
	"ZAR ZMW ZWG"

// setOf returns the set of the space-separated words in list.
func setOf(list string) map[string]bool {
	set := make(map[string]bool)
	for _, w := range strings.Fields(list) {
		set[w] = true
	}
	return set
}
