package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var unloggedSequence = &Rule{
	ID:       "AR203",
	Name:     "unlogged-sequence",
	Title:    "Unlogged sequence",
	Severity: Warning,
	Category: CategorySequences,
	Engines:  AllEngines,
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `An unlogged sequence (PostgreSQL 15+, also the sequence of an unlogged table) is reset to its
start value after a crash and is not in WAL, so a standby or a restored node starts it over. On a
node of a multi-primary mesh that means handing out values that node already used, and that the
other nodes already hold: duplicate keys after every crash. PGD refuses unlogged PGD sequences
because they "could cause unexpected problems in the event of a node failure".`,
		Engines: map[string]string{
			EnginePGD: `Unlogged PGD sequences are prevented.`,
		},
		Detection: `Sequences with relpersistence = 'u' (CREATE UNLOGGED SEQUENCE, ALTER SEQUENCE ... SET UNLOGGED).`,
		Fix:       "```sql\nALTER SEQUENCE public.ticket_no_seq SET LOGGED;\n```",
		Example:   `CREATE UNLOGGED SEQUENCE public.ticket_no_seq;`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/sequences.mdx",
			"https://www.postgresql.org/docs/current/sql-createsequence.html",
		},
	},
	Check: func(p *Pass) {
		for _, s := range p.DB.Sequences {
			if s.Persistence != inspect.Unlogged || inspect.SystemSchema(s.Schema) {
				continue
			}
			p.Report(Finding{
				Object:     s.QualifiedName(),
				ObjectKind: "sequence",
				Message:    fmt.Sprintf("sequence %s is unlogged: after a crash it restarts and hands out values this node already used", s.QualifiedName()),
				Fix:        "Make the sequence logged.",
				FixSQL:     fmt.Sprintf("ALTER SEQUENCE %s SET LOGGED;", s.QualifiedName()),
				Pos:        s.Pos,
			})
		}
	},
}
