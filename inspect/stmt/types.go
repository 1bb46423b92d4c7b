package stmt

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/aadvisor/aadvisor/inspect"
)

// serialTypes are the pseudo-types that CREATE TABLE expands into an
// integer column with a sequence default.
var serialTypes = map[string]string{
	"serial": "integer", "serial4": "integer",
	"bigserial": "bigint", "serial8": "bigint",
	"smallserial": "smallint", "serial2": "smallint",
}

// builtinTypes maps the parser's internal type names to format_type().
var builtinTypes = map[string]string{
	"int2": "smallint", "smallint": "smallint",
	"int4": "integer", "int": "integer", "integer": "integer",
	"int8": "bigint", "bigint": "bigint",
	"float4": "real", "real": "real",
	"float8": "double precision",
	"bool":   "boolean", "boolean": "boolean",
	"varchar": "character varying",
	"bpchar":  "character",
	"numeric": "numeric", "decimal": "numeric",
	"timestamp":   "timestamp without time zone",
	"timestamptz": "timestamp with time zone",
	"time":        "time without time zone",
	"timetz":      "time with time zone",
	"varbit":      "bit varying",
	"bit":         "bit",
	"interval":    "interval",
	"char":        `"char"`,
}

// TypeNameParts returns the schema (may be "") and name of a TypeName.
func TypeNameParts(tn *pg_query.TypeName) (string, string) {
	var names []string
	for _, n := range tn.GetNames() {
		names = append(names, n.GetString_().GetSval())
	}
	switch len(names) {
	case 0:
		return "", ""
	case 1:
		return "", names[0]
	default:
		return names[len(names)-2], names[len(names)-1]
	}
}

// SerialBase returns integer/bigint/smallint when tn is a serial
// pseudo-type, or "".
func SerialBase(tn *pg_query.TypeName) string {
	schema, name := TypeNameParts(tn)
	if schema != "" || len(tn.GetArrayBounds()) > 0 {
		return ""
	}
	return serialTypes[name]
}

// FormatType renders a type as PostgreSQL's format_type() does:
// "integer", "character varying(20)", "timestamp(3) with time zone",
// "numeric(10,2)", "text[]"; user types are schema-qualified unless they
// live in public or pg_catalog. withTypmod false leaves modifiers out, as
// ruleutils does when it labels a constant.
func FormatType(tn *pg_query.TypeName, withTypmod bool) string {
	if tn == nil {
		return ""
	}
	schema, name := TypeNameParts(tn)
	var mods []string
	for _, m := range tn.GetTypmods() {
		mods = append(mods, typmodText(m))
	}
	if !withTypmod {
		mods = nil
	}
	var out string
	builtin, isBuiltin := builtinTypes[name]
	if schema != "" && schema != "pg_catalog" {
		isBuiltin = false
	}
	switch {
	case isBuiltin && (name == "timestamp" || name == "timestamptz" || name == "time" || name == "timetz"):
		base, zone, _ := strings.Cut(builtin, " ")
		if len(mods) > 0 {
			base += "(" + mods[0] + ")"
		}
		out = base + " " + zone
	case isBuiltin && name == "interval":
		out = "interval" + intervalTypmod(tn.GetTypmods(), withTypmod)
	case isBuiltin && name == "bpchar" && len(mods) == 0:
		out = "bpchar"
	case isBuiltin && name == "numeric" && len(mods) == 1:
		out = "numeric(" + mods[0] + ",0)"
	case isBuiltin:
		out = builtin
		if len(mods) > 0 {
			out += "(" + strings.Join(mods, ",") + ")"
		}
	default:
		if schema == "public" || schema == "pg_catalog" {
			schema = ""
		}
		out = inspect.QuoteQualified(schema, name)
		if len(mods) > 0 {
			out += "(" + strings.Join(mods, ",") + ")"
		}
	}
	if tn.GetPctType() {
		out += "%TYPE"
	}
	if len(tn.GetArrayBounds()) > 0 {
		out += "[]"
	}
	return out
}

func typmodText(n *pg_query.Node) string {
	switch {
	case n.GetAConst() != nil:
		c := n.GetAConst()
		switch {
		case c.GetIval() != nil:
			return strconv.FormatInt(int64(c.GetIval().GetIval()), 10)
		case c.GetSval() != nil:
			return c.GetSval().GetSval()
		case c.GetFval() != nil:
			return c.GetFval().GetFval()
		}
		return "0"
	case n.GetColumnRef() != nil:
		var parts []string
		for _, f := range n.GetColumnRef().GetFields() {
			parts = append(parts, f.GetString_().GetSval())
		}
		return strings.Join(parts, ".")
	}
	return exprText(n)
}

// Interval field masks, as in datetime.h.
const (
	ivMonth     = 1 << 1
	ivYear      = 1 << 2
	ivDay       = 1 << 3
	ivHour      = 1 << 10
	ivMinute    = 1 << 11
	ivSecond    = 1 << 12
	ivFullRange = 0x7FFF
)

var intervalFields = map[int]string{
	ivYear: " year", ivMonth: " month", ivDay: " day", ivHour: " hour", ivMinute: " minute", ivSecond: " second",
	ivYear | ivMonth:                     " year to month",
	ivDay | ivHour:                       " day to hour",
	ivDay | ivHour | ivMinute:            " day to minute",
	ivDay | ivHour | ivMinute | ivSecond: " day to second",
	ivHour | ivMinute:                    " hour to minute",
	ivHour | ivMinute | ivSecond:         " hour to second",
	ivMinute | ivSecond:                  " minute to second",
}

// intervalTypmod renders the fields and precision of an interval type as
// intervaltypmodout does.
func intervalTypmod(mods []*pg_query.Node, withTypmod bool) string {
	if !withTypmod || len(mods) == 0 {
		return ""
	}
	mask := int(mods[0].GetAConst().GetIval().GetIval())
	out := ""
	if mask != ivFullRange {
		out = intervalFields[mask]
	}
	if len(mods) > 1 {
		out += "(" + typmodText(mods[1]) + ")"
	}
	return out
}

// LabelType is the type name ruleutils attaches to a constant of a column
// of type typ: the format_type spelling without modifiers.
func LabelType(typ string) string {
	if strings.HasPrefix(typ, "interval") {
		// Interval literals are read with the column's typmod.
		return typ
	}
	var b strings.Builder
	depth := 0
	for _, r := range typ {
		switch {
		case r == '(':
			depth++
		case r == ')':
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	out := b.String()
	switch out {
	case "character":
		return "bpchar"
	case "character[]":
		return "bpchar[]"
	}
	return out
}
