package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var serializable = &Rule{
	ID:       "AR606",
	Name:     "serializable",
	Title:    "SERIALIZABLE isolation does not span nodes",
	Severity: Warning,
	Category: CategoryWorkload,
	Engines:  AllEngines,
	Effect:   EffectNone,
	Doc: Doc{
		Why: `SERIALIZABLE guarantees that concurrent transactions behave as if run one at a time, but only
among the transactions of one server. Two transactions on two nodes are never checked against
each other, so the write skew that SERIALIZABLE was chosen to prevent (two doctors both going off
call, double-spending across accounts) happens again across nodes, without a serialization
failure to retry.`,
		Engines: map[string]string{
			EngineNative: `Isolation is per node.`,
			EnginePGD:    `SERIALIZABLE is not serialized across nodes; Eager replication or commit scopes are needed.`,
		},
		Detection: `Workload statements that set SERIALIZABLE (BEGIN/START TRANSACTION/SET TRANSACTION ISOLATION
LEVEL SERIALIZABLE, SET default_transaction_isolation), and the server setting
default_transaction_isolation = serializable. Skipped only when neither statements nor settings are
known.`,
		Fix: `Route the transactions that rely on SERIALIZABLE to one writer node, or replace the invariant check
by a constraint on one row that both transactions must update (which becomes a detectable
conflict), or use PGD Eager replication.`,
		Example: `BEGIN ISOLATION LEVEL SERIALIZABLE;`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/behavior.mdx",
		},
	},
	Check: func(p *Pass) {
		if !p.needAny(inspect.EvidenceStatements, inspect.EvidenceSettings) {
			return
		}
		if settingIs(p.DB, "default_transaction_isolation", "serializable") {
			p.Report(Finding{
				Object:     "setting default_transaction_isolation",
				ObjectKind: "setting",
				Message:    "default_transaction_isolation is serializable: every transaction expects serializability that does not hold across nodes",
				Fix:        "Route transactions that depend on SERIALIZABLE to one node; do not rely on it across the mesh.",
			})
		}
		for _, s := range analyzed(p.DB) {
			if !s.Facts.Serializable {
				continue
			}
			p.Report(Finding{
				Object:     stmtObject(s),
				ObjectKind: "statement",
				Message:    fmt.Sprintf("%s asks for SERIALIZABLE: transactions on different nodes are not serialized against each other", stmtText(s)),
				Fix:        "Route these transactions to one writer node, or turn the invariant into a conflict on one row.",
				Pos:        s.Pos,
			})
		}
	},
}
