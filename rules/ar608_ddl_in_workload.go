package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

// maintenanceDDL are utility commands that change no schema.
var maintenanceDDL = map[string]bool{"REFRESH MATERIALIZED VIEW": true, "REINDEX": true}

var ddlInWorkload = &Rule{
	ID:       "AR608",
	Name:     "ddl-in-workload",
	Title:    "Application runs DDL",
	Severity: Warning,
	Category: CategoryWorkload,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceStatements},
	Effect:   EffectNone,
	Doc: Doc{
		Why: `Native logical replication and pglogical do not replicate DDL, and the engines that do (Spock,
PGD, pgactive when enabled) take global locks or have unsafe cases. DDL run by the application or
its migration tool on one node leaves the schemas different: apply then fails on "unknown column"
or "data for dropped column", and replication stops until the schemas match again. Multi-master
DDL needs writes stopped and all slots caught up.`,
		Engines: map[string]string{
			EngineNative:    `"The database schema and DDL commands are not replicated".`,
			EnginePglogical: `pglogical.replicate_ddl_command() queues DDL; writes must be stopped and slots caught up.`,
			EnginePgactive:  `DDL replication is off by default (pgactive.skip_ddl_replication = on); run DDL on every node.`,
			EngineSpock:     `Automatic DDL replication with spock.enable_ddl_replication; some DDL is unsafe.`,
			EnginePGD:       `Replicated with global DDL locking (bdr.ddl_locking).`,
		},
		Detection: `Workload statements that are DDL (CREATE, ALTER, DROP, ...), as parse-tree facts; REFRESH
MATERIALIZED VIEW and REINDEX change no schema and are left to materialized-view. With
pg_stat_statements, DDL is recorded only when pg_stat_statements.track_utility is on: live, the
rule is skipped when the setting is off; an export (.json, .csv) is read as it is, and only an
export without any utility statement (DDL, SET, BEGIN, ...) leaves the rule skipped, since nothing
in it shows whether the setting was on.`,
		Fix: `Run schema changes through one controlled process: expand/contract migrations (add first,
backfill, switch, drop last), applied on every node in the same window, or through the engine's DDL
replication. Keep temporary-table DDL out of replicated schemas.`,
		Example: `ALTER TABLE public.orders ADD COLUMN note text;`,
		References: []string{
			"https://www.postgresql.org/docs/current/logical-replication-restrictions.html",
			"2ndQuadrant/pglogical:docs/README.md (DDL)",
			"pgEdge/spock:docs/managing/spock_autoddl.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/ddl/ddl-overview.mdx",
		},
	},
	Check: func(p *Pass) {
		w := p.DB.Workload
		switch {
		case w.StatementsSource != "pg_stat_statements" || w.TrackUtility:
		case p.DB.Source.Kind == inspect.SourceLive:
			p.Skip("pg_stat_statements.track_utility is off, so DDL is not recorded", "SET pg_stat_statements.track_utility = on (in postgresql.conf) and collect the workload again")
			return
		default:
			// An export says nothing of the setting; utility statements in
			// it would have shown it on (sqlfile sets TrackUtility then).
			p.Skip("the pg_stat_statements export holds no utility statements (DDL, SET, BEGIN): it was taken with track_utility off, or the application runs none",
				"if the application runs DDL, export again with pg_stat_statements.track_utility = on")
			return
		}
		for _, s := range analyzed(p.DB) {
			if s.Facts.Kind != inspect.StmtDDL || maintenanceDDL[strings.ToUpper(s.Facts.DDLKind)] {
				continue
			}
			kind := s.Facts.DDLKind
			if kind == "" {
				kind = "DDL"
			}
			p.Report(Finding{
				Object:     stmtObject(s),
				ObjectKind: "statement",
				Table:      statementTable(p, s),
				Message:    fmt.Sprintf("%s is %s run by the workload: DDL is not replicated by native replication or pglogical, and schema drift stops apply", stmtText(s), kind),
				Fix:        "Run schema changes as controlled expand/contract migrations on every node, or through the engine's DDL replication.",
				Pos:        s.Pos,
			})
		}
	},
}
