package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var replicaIdentityNothing = &Rule{
	ID:         "AR102",
	Name:       "replica-identity-nothing",
	Title:      "Table with REPLICA IDENTITY NOTHING",
	Severity:   Error,
	Category:   CategoryKeys,
	Engines:    AllEngines,
	Effect:     EffectFixFirst,
	EffectNote: effectNoteNoKey,
	Doc: Doc{
		Why: `REPLICA IDENTITY NOTHING tells logical decoding to log no old-row identity at all, even when the
table has a primary key. UPDATE and DELETE on such a table cannot be matched to a row on the other
nodes: native PostgreSQL rejects them on the publisher once the table is in a publication that
publishes updates or deletes, and the multi-master engines skip them or stop. The setting is
sometimes left behind by an earlier replication or CDC experiment.`,
		Engines: map[string]string{
			EngineNative:    `UPDATE and DELETE fail on the publisher for a published table.`,
			EnginePglogical: `Requires a primary key or replica identity; NOTHING is neither.`,
			EnginePgactive:  `UPDATE and DELETE are not allowed without a key.`,
			EngineSpock:     `The table can only be replicated insert-only.`,
			EnginePGD:       `UPDATE and DELETE are blocked.`,
		},
		Detection: `pg_class.relreplident = 'n' on a permanent table of the application (ALTER TABLE ... REPLICA IDENTITY
NOTHING in a schema file).`,
		Fix: `Return to the default identity (the primary key), adding a primary key first if the table has none:

` + "```sql" + `
ALTER TABLE public.audit_log REPLICA IDENTITY DEFAULT;
` + "```",
		Example: `CREATE TABLE public.audit_log (id bigint PRIMARY KEY, event text);
ALTER TABLE public.audit_log REPLICA IDENTITY NOTHING;`,
		References: []string{
			"https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-REPLICA-IDENTITY",
			"https://www.postgresql.org/docs/current/logical-replication-publication.html",
		},
	},
	Check: func(p *Pass) {
		changes := changeStatements(p)
		for _, t := range replicatedTables(p.DB) {
			if t.ReplicaIdentity != inspect.IdentityNothing {
				continue
			}
			f := Finding{Object: t.QualifiedName(), ObjectKind: "table", Table: t.QualifiedName(), Pos: t.Pos}
			pk := primaryKey(p, t)
			what := "has REPLICA IDENTITY NOTHING"
			if pk == nil {
				what += " and no primary key"
			}
			if act := updateDeleteActivity(p.DB, t, changes); act != "" {
				f.Message = fmt.Sprintf("%s %s and sees %s: these changes cannot be replicated", t.QualifiedName(), what, act)
			} else {
				f.Message = fmt.Sprintf("%s %s: UPDATE and DELETE cannot be replicated", t.QualifiedName(), what)
			}
			keyEffect(p, t, &f, changes)
			if pk != nil && f.Effect == "" {
				f.EffectWhy = "set the replica identity back to the primary key"
			}
			if pk != nil {
				f.Fix = "Set the replica identity back to the default (the primary key)."
				f.FixSQL = fmt.Sprintf("ALTER TABLE %s REPLICA IDENTITY DEFAULT;", t.Ident())
			} else if ix := candidateKey(t); ix != nil {
				f.Fix = fmt.Sprintf("Promote the unique index %s to the primary key and use it as the replica identity.", inspect.QuoteIdent(ix.Name))
				f.FixSQL = fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s PRIMARY KEY USING INDEX %s;\nALTER TABLE %s REPLICA IDENTITY DEFAULT;",
					t.Ident(), inspect.QuoteIdent(t.Name+"_pkey"), inspect.QuoteIdent(ix.Name), t.Ident())
			} else {
				f.Fix = "Add a primary key that cannot collide across nodes and set the replica identity back to the default."
				f.FixSQL = fmt.Sprintf("ALTER TABLE %s ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY;\nALTER TABLE %s REPLICA IDENTITY DEFAULT;", t.Ident(), t.Ident())
			}
			p.Report(f)
		}
	},
}
