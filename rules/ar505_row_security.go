package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var rowSecurity = &Rule{
	ID:       "AR505",
	Name:     "row-security",
	Title:    "Row-level security on a replicated table",
	Severity: Warning,
	Category: CategoryTriggers,
	Engines:  AllEngines,
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `Logical replication moves rows, and row-level security decides which rows a role may see and
write. The two meet in three places:

- The initial copy. A new subscriber copies each table with COPY on the publisher, as the role of
  the replication connection. Unless that role is a superuser or has BYPASSRLS, the publisher's
  policies run and the copy leaves out every row they hide from it, without an error, while the
  change stream that follows carries every row: the new node starts incomplete.
- Apply, from PostgreSQL 15. Apply checks the privileges of the role it writes as, and refuses any
  table whose policies bind that role, whatever the policy would allow: ERROR: user "x" cannot
  replicate into relation with row-level security enabled: "t" (also in the initial copy on the
  subscriber). Policies do not bind superusers, BYPASSRLS roles, or the table's owner unless the
  table has FORCE ROW LEVEL SECURITY.
- Whom apply writes as. PostgreSQL 15 writes as the subscription's owner (a superuser, unless
  ownership was handed to another role). From PostgreSQL 16 it switches to each table's owner
  (unless the subscription has run_as_owner = true): a table with FORCE ROW LEVEL SECURITY whose
  owner is neither a superuser nor BYPASSRLS stops apply. Before PostgreSQL 15, apply ignores row
  security.

Apply that stops leaves the subscription retrying the same transaction while WAL piles up on the
publisher.`,
		Engines: map[string]string{
			EngineNative:    `PostgreSQL 15+: "cannot replicate into relation with row-level security enabled" when the policies bind the writing role (subscription owner on 15, table owner from 16 unless run_as_owner); the initial copy runs the publisher's policies for a replication role without BYPASSRLS.`,
			EnginePglogical: `Apply and sync workers run as the bootstrap superuser, whom policies do not bind; the initial copy reads the provider as the role of the provider DSN, whose policies apply unless it is a superuser or BYPASSRLS.`,
		},
		Detection: `Replicated tables with ENABLE ROW LEVEL SECURITY (pg_class.relrowsecurity), with their policies
(pg_policy) and FORCE ROW LEVEL SECURITY, judged for the target version (--pg-version, else the
server's). A forced table whose owner, read live, is neither a superuser nor BYPASSRLS stops apply
from PostgreSQL 16 on: an error. Every other table with row security is a warning for the initial
copy and, on PostgreSQL 15, for a subscription owned by a role the policies bind.`,
		Fix: `Replicate as roles row security does not bind. Give the role of the replication connection
BYPASSRLS (it reads every row through the change stream anyway); keep subscriptions owned by a
superuser; and for tables with FORCE ROW LEVEL SECURITY on PostgreSQL 16+, either make the owner
BYPASSRLS or let the subscription write as its superuser owner. Keep the policies: they go on
protecting the application's sessions.

` + "```sql" + `
-- publisher (psql -v replication_role=repl -f fix.sql)
ALTER ROLE :"replication_role" BYPASSRLS;
-- subscribers, PostgreSQL 16+, for FORCE ROW LEVEL SECURITY tables (subscription owned by a superuser)
ALTER SUBSCRIPTION mesh SET (run_as_owner = true);
` + "```",
		Example: `CREATE TABLE public.docs (id bigint PRIMARY KEY, owner text NOT NULL);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.docs FORCE ROW LEVEL SECURITY;
CREATE POLICY docs_owner ON public.docs USING (owner = current_user);`,
		References: []string{
			"postgres/postgres:src/backend/replication/logical/worker.c (TargetPrivilegesCheck)",
			"https://www.postgresql.org/docs/current/logical-replication-security.html",
			"https://www.postgresql.org/docs/16/sql-createsubscription.html (run_as_owner)",
			"https://postgr.es/c/a2ab9c06ea15 (Respect permissions within logical replication, PostgreSQL 15)",
			"https://postgr.es/c/1e10d49b65d6 (Perform logical replication actions as the table owner, PostgreSQL 16)",
			"2ndQuadrant/pglogical:pglogical_apply.c, pglogical_sync.c (workers connect as the bootstrap superuser)",
		},
	},
	Check: func(p *Pass) {
		version := p.Config.TargetVersion
		if version == 0 {
			version = p.DB.ServerVersion
		}
		live := p.DB.Source.Kind == inspect.SourceLive
		for _, t := range replicatedTables(p.DB) {
			if !t.RowSecurity {
				continue
			}
			pol := "no policies (it denies every row to the roles it binds)"
			if len(t.Policies) > 0 {
				pol = fmt.Sprintf("%s: %s", plural(int64(len(t.Policies)), "policy", "policies"), strings.Join(t.Policies, ", "))
			}
			what := "row-level security"
			if t.ForceRowSecurity {
				what = "FORCE ROW LEVEL SECURITY"
			}
			owner := "its owner"
			if t.Owner != "" {
				owner = "its owner " + inspect.QuoteIdent(t.Owner)
			}
			ownerBypass := live && t.Owner != "" && slices.Contains(p.DB.BypassRLS, t.Owner)
			ownerBound := live && t.Owner != "" && !ownerBypass
			f := Finding{
				Object:     t.QualifiedName(),
				ObjectKind: "table",
				Table:      t.QualifiedName(),
				Fix:        "Give the replication connection's role BYPASSRLS and keep subscriptions owned by a superuser; keep the policies.",
				FixSQL: "-- publisher: the initial copy reads as the replication connection's role (psql -v replication_role=... -f fix.sql)\n" +
					"ALTER ROLE :\"replication_role\" BYPASSRLS;",
				Pos: t.Pos,
			}
			copyNote := "the initial copy runs the publisher's policies as the replication connection's role unless it is a superuser or has BYPASSRLS, and silently copies only the rows they let it see"
			var apply string
			switch {
			case version > 0 && version < 150000:
				apply = "before PostgreSQL 15 apply ignores row security"
			case version >= 150000 && version < 160000:
				apply = "on PostgreSQL 15 apply writes as the subscription's owner and stops (\"cannot replicate into relation with row-level security enabled\") if the policies bind that owner: not a superuser, BYPASSRLS role or, without FORCE, the table's owner"
			case t.ForceRowSecurity && ownerBypass:
				apply = fmt.Sprintf("from PostgreSQL 16 apply writes as %s, a superuser or BYPASSRLS role, whom FORCE does not bind", owner)
			case t.ForceRowSecurity:
				apply = fmt.Sprintf("from PostgreSQL 16 apply writes as %s, and FORCE makes the policies bind the owner too: apply stops with \"cannot replicate into relation with row-level security enabled\"", owner)
				if !ownerBound {
					apply += " unless the owner is a superuser or has BYPASSRLS"
				}
				f.Fix = "Let apply write as a role the policies do not bind: the owner BYPASSRLS, or run_as_owner = true on a subscription owned by a superuser; give the replication connection's role BYPASSRLS too."
				f.FixSQL += "\n-- subscribers (PostgreSQL 16+): write as the subscription's superuser owner instead of the table's owner\n" +
					"-- ALTER SUBSCRIPTION <subscription> SET (run_as_owner = true);\n" +
					"-- or: ALTER ROLE " + inspect.QuoteIdent(orDefault(t.Owner, "<owner>")) + " BYPASSRLS;"
				if ownerBound {
					f.Severity = Error
				}
			default:
				apply = "from PostgreSQL 16 apply writes as the table's owner, whom the policies do not bind without FORCE (unless the subscription has run_as_owner = true and a non-superuser owner)"
				if version == 0 {
					apply += "; on PostgreSQL 15 it writes as the subscription's owner, and stops if the policies bind that role"
				}
			}
			f.Message = fmt.Sprintf("%s has %s (%s): %s; %s", t.QualifiedName(), what, pol, copyNote, apply)
			p.Report(f)
		}
	},
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
