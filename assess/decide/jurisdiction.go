package decide

import (
	"fmt"
	"sort"
	"strings"
)

// Data residency groups regions by jurisdiction, never by the letters of
// their names: eu-west-2 is London, outside the European Union, and no
// prefix groups Sydney (ap-southeast-2) with anything Australian. An entry
// of residency_regions is a region, or a jurisdiction: "eu" (the European
// Union) or a country, by its ISO 3166 code or its name. Only the regions
// of the bundled table (regionLocations) have a known jurisdiction; any
// other region lies in a jurisdiction only when residency_regions names it
// itself.

// regionCountry is the country of each region of the bundled table, from
// where its provider says it is [R31].
var regionCountry = map[string]string{
	"us-east-1": "us", "us-east-2": "us", "us-west-1": "us", "us-west-2": "us",
	"ca-central-1": "ca", "sa-east-1": "br",
	"eu-west-1": "ie", "eu-west-2": "gb", "eu-west-3": "fr", "eu-central-1": "de", "eu-north-1": "se", "eu-south-1": "it",
	"ap-northeast-1": "jp", "ap-northeast-2": "kr", "ap-southeast-1": "sg", "ap-southeast-2": "au", "ap-south-1": "in",
}

// countryNames names the countries of regionCountry.
var countryNames = map[string]string{
	"us": "the United States", "ca": "Canada", "br": "Brazil", "ie": "Ireland", "gb": "the United Kingdom",
	"fr": "France", "de": "Germany", "se": "Sweden", "it": "Italy", "jp": "Japan", "kr": "South Korea",
	"sg": "Singapore", "au": "Australia", "in": "India",
}

// euMembers are the member states of the European Union among those
// countries [R32]; the United Kingdom left it in 2020.
var euMembers = map[string]bool{"ie": true, "fr": true, "de": true, "se": true, "it": true}

// jurisdictionOf reads a residency entry as a jurisdiction code ("eu",
// "de", "au"; "uk" for "gb"), or by name ("Germany", "European Union");
// ok is false for anything else (a region, a prefix such as "ap").
func jurisdictionOf(entry string) (code string, ok bool) {
	e := strings.ToLower(strings.TrimSpace(entry))
	switch e {
	case "eu", "european union", "the european union":
		return "eu", true
	case "uk", "united kingdom":
		return "gb", true
	}
	if _, ok := countryNames[e]; ok {
		return e, true
	}
	for c, n := range countryNames {
		if n = strings.ToLower(n); e == n || e == strings.TrimPrefix(n, "the ") {
			return c, true
		}
	}
	return "", false
}

// jurisdictionName says a jurisdiction code in words.
func jurisdictionName(code string) string {
	if code == "eu" {
		return "the European Union"
	}
	return countryNames[code]
}

// jurisdictionRegions lists the regions of the bundled table inside a
// jurisdiction, sorted.
func jurisdictionRegions(code string) []string {
	var out []string
	for r, c := range regionCountry {
		if c == code || (code == "eu" && euMembers[c]) {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// inGroup reports whether region lies in the residency entry: the same
// region, or a region of the bundled table inside the entry's
// jurisdiction.
func inGroup(entry, region string) bool {
	e, r := strings.ToLower(strings.TrimSpace(entry)), strings.ToLower(strings.TrimSpace(region))
	if e == "" || r == "" {
		return false
	}
	if r == e {
		return true
	}
	code, ok := jurisdictionOf(e)
	if !ok {
		return false
	}
	c, known := regionCountry[r]
	return known && (c == code || (code == "eu" && euMembers[c]))
}

// groupSize is how many regions a residency entry may hold: 1 for a
// region, the regions of the bundled table inside a jurisdiction. Of
// nested entries (eu, de, eu-central-1) the smallest holds.
func groupSize(entry string) int {
	if code, ok := jurisdictionOf(entry); ok {
		return len(jurisdictionRegions(code))
	}
	return 1
}

// groupWords names a residency entry for people: a jurisdiction with its
// name ("eu (the European Union)"), a region as it is.
func groupWords(entry string) string {
	if code, ok := jurisdictionOf(entry); ok {
		return fmt.Sprintf("%s (%s)", entry, jurisdictionName(code))
	}
	return entry
}

// knownJurisdictions lists the codes a residency entry may use, for the
// message that rejects one.
func knownJurisdictions() string {
	codes := make([]string, 0, len(countryNames))
	for c := range countryNames {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return "eu or a country: " + strings.Join(codes, ", ")
}

// roomFor says what would let a copy of home's rows, which must stay in
// the residency entry g, live outside home: the jurisdiction to name
// when the bundled table knows other regions in it, or, when it knows
// none, that the user's own second region there must be named, with its
// round trip.
func roomFor(g, home string) string {
	country, known := regionCountry[strings.ToLower(strings.TrimSpace(home))]
	if !known {
		return fmt.Sprintf("aadvisor does not know the jurisdiction of %s: list in residency_regions the regions that may also hold its rows (with their round trips in rtt_ms), or plan on restores from backup for them", home)
	}
	others := func(code string) []string {
		var out []string
		for _, r := range jurisdictionRegions(code) {
			if !strings.EqualFold(r, home) && !inGroup(g, r) {
				out = append(out, r)
			}
		}
		return out
	}
	for _, code := range []string{country, "eu"} {
		if code == "eu" && !euMembers[country] {
			continue
		}
		if rs := others(code); len(rs) > 0 {
			return fmt.Sprintf("if the rows may live anywhere in %s, name the jurisdiction (residency_regions: [%s]: %s); else plan on restores from backup for them", jurisdictionName(code), code, strings.Join(rs, ", "))
		}
	}
	where := jurisdictionName(country)
	if euMembers[country] {
		where += " nor elsewhere in the European Union"
	}
	return fmt.Sprintf("no other region aadvisor knows lies in %s (%s is its only one in aadvisor's region table): name your other region there in residency_regions, with its round trip in rtt_ms, or plan on restores from backup for these rows", where, home)
}
