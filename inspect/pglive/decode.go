package pglive

import "github.com/aadvisor/aadvisor/inspect"

// Catalog codes in the model's spellings.
var (
	relKindNames = map[string]inspect.RelKind{
		"r": inspect.RelTable, "p": inspect.RelPartitioned, "f": inspect.RelForeign,
		"v": inspect.RelView, "m": inspect.RelMatView,
	}
	persistences = map[string]inspect.Persistence{
		"p": inspect.Permanent, "u": inspect.Unlogged, "t": inspect.Temporary,
	}
	replicaIdentities = map[string]inspect.ReplicaIdentity{
		"d": inspect.IdentityDefault, "n": inspect.IdentityNothing, "f": inspect.IdentityFull, "i": inspect.IdentityIndex,
	}
	identities  = map[string]string{"a": "always", "d": "by default"}
	generations = map[string]string{"s": "stored", "v": "virtual"}
	storages    = map[string]string{"p": "plain", "m": "main", "e": "external", "x": "extended"}

	constraintTypes = map[string]inspect.ConstraintType{
		"p": inspect.PrimaryKey, "u": inspect.Unique, "f": inspect.ForeignKey, "c": inspect.Check, "x": inspect.Exclusion,
	}
	fkActions = map[string]inspect.FKAction{
		"a": inspect.FKNoAction, "r": inspect.FKRestrict, "c": inspect.FKCascade, "n": inspect.FKSetNull, "d": inspect.FKSetDefault,
	}
	// firingModes decodes pg_trigger.tgenabled and pg_event_trigger.evtenabled.
	firingModes = map[string]string{
		"O": inspect.TriggerOrigin, "R": inspect.TriggerReplica, "A": inspect.TriggerAlways, "D": inspect.TriggerDisabled,
	}
	ruleEvents   = map[string]string{"1": "select", "2": "update", "3": "insert", "4": "delete"}
	volatilities = map[string]string{"i": "immutable", "s": "stable", "v": "volatile"}
	// localeProviders decodes pg_database.datlocprovider.
	localeProviders = map[string]string{"c": "libc", "i": "icu", "b": "builtin"}
)

// pg_trigger.tgtype bits (src/include/catalog/pg_trigger.h).
const (
	tgRow      = 1 << 0
	tgBefore   = 1 << 1
	tgInsert   = 1 << 2
	tgDelete   = 1 << 3
	tgUpdate   = 1 << 4
	tgTruncate = 1 << 5
	tgInstead  = 1 << 6
)

// decodeTgtype returns a trigger's timing, level and events (in the order
// pg_get_triggerdef prints them).
func decodeTgtype(t int) (timing, level string, events []string) {
	switch {
	case t&tgBefore != 0:
		timing = "before"
	case t&tgInstead != 0:
		timing = "instead of"
	default:
		timing = "after"
	}
	level = "statement"
	if t&tgRow != 0 {
		level = "row"
	}
	for _, e := range []struct {
		bit  int
		name string
	}{{tgInsert, "insert"}, {tgDelete, "delete"}, {tgUpdate, "update"}, {tgTruncate, "truncate"}} {
		if t&e.bit != 0 {
			events = append(events, e.name)
		}
	}
	return timing, level, events
}
