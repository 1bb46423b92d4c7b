package sqlfile

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/aadvisor/aadvisor/inspect"
)

// triggerModes are the firing modes that ALTER TABLE ... ENABLE/DISABLE
// TRIGGER sets.
var triggerModes = map[pg_query.AlterTableType]string{
	pg_query.AlterTableType_AT_EnableTrig:        inspect.TriggerOrigin,
	pg_query.AlterTableType_AT_EnableAlwaysTrig:  inspect.TriggerAlways,
	pg_query.AlterTableType_AT_EnableReplicaTrig: inspect.TriggerReplica,
	pg_query.AlterTableType_AT_DisableTrig:       inspect.TriggerDisabled,
	pg_query.AlterTableType_AT_EnableTrigAll:     inspect.TriggerOrigin,
	pg_query.AlterTableType_AT_DisableTrigAll:    inspect.TriggerDisabled,
	pg_query.AlterTableType_AT_EnableTrigUser:    inspect.TriggerOrigin,
	pg_query.AlterTableType_AT_DisableTrigUser:   inspect.TriggerDisabled,
}

// alterTable applies ALTER TABLE (and ALTER SEQUENCE/VIEW/INDEX forms
// that the parser reads as ALTER TABLE).
func (r *schemaReader) alterTable(a *pg_query.AlterTableStmt) {
	rv := a.GetRelation()
	if a.GetObjtype() == pg_query.ObjectType_OBJECT_INDEX || a.GetObjtype() == pg_query.ObjectType_OBJECT_TYPE {
		return // ALTER INDEX ... SET, ALTER TYPE ... ALTER ATTRIBUTE: no table
	}
	t := r.table(rv)
	if t == nil {
		if seq := r.sequence(rv); seq != nil {
			r.alterSequenceCmds(seq, a.GetCmds())
			return
		}
		if !a.GetMissingOk() {
			r.errorf(rv.GetLocation(), "relation "+rangeVarText(rv)+" is not defined in the schema input")
		}
		return
	}
	for _, n := range a.GetCmds() {
		r.alterTableCmd(t, rv.GetInh(), n.GetAlterTableCmd())
	}
}

func (r *schemaReader) alterTableCmd(t *inspect.Table, recurse bool, cmd *pg_query.AlterTableCmd) {
	col := t.Column(cmd.GetName())
	needCol := func() bool {
		if col == nil {
			r.errorf(-1, "column "+inspect.QuoteIdent(cmd.GetName())+" of "+t.QualifiedName()+" is not defined in the schema input")
		}
		return col != nil
	}
	switch st := cmd.GetSubtype(); st {
	case pg_query.AlterTableType_AT_AddColumn:
		if cd := cmd.GetDef().GetColumnDef(); cd != nil {
			if t.Column(cd.GetColname()) != nil && cmd.GetMissingOk() {
				return
			}
			var cons []conSpec
			r.columnDef(t, cd, -1, &cons)
			r.addConstraints(t, cons)
		}
	case pg_query.AlterTableType_AT_DropColumn:
		for i, c := range t.Columns {
			if c.Name == cmd.GetName() {
				t.Columns = append(t.Columns[:i], t.Columns[i+1:]...)
				break
			}
		}
	case pg_query.AlterTableType_AT_ColumnDefault:
		if needCol() {
			col.Default = ""
			if d := cmd.GetDef(); d != nil {
				col.Default = r.defaultText(t, col, d)
			}
		}
	case pg_query.AlterTableType_AT_SetNotNull:
		if needCol() {
			col.NotNull = true
		}
	case pg_query.AlterTableType_AT_DropNotNull:
		if needCol() {
			col.NotNull = false
		}
	case pg_query.AlterTableType_AT_SetStorage:
		if needCol() {
			col.Storage = strings.ToLower(cmd.GetDef().GetString_().GetSval())
		}
	case pg_query.AlterTableType_AT_AlterColumnType:
		if cd := cmd.GetDef().GetColumnDef(); cd != nil && needCol() {
			col.Type = r.typeName(cd.GetTypeName())
		}
	case pg_query.AlterTableType_AT_AddIdentity:
		if c := cmd.GetDef().GetConstraint(); c != nil && needCol() {
			r.identity(t, col, c, c.GetOptions())
		}
	case pg_query.AlterTableType_AT_SetIdentity:
		if needCol() {
			for _, o := range cmd.GetDef().GetList().GetItems() {
				if d := o.GetDefElem(); d != nil && d.GetDefname() == "generated" {
					col.Identity = "by default"
					if d.GetArg().GetInteger().GetIval() == 'a' {
						col.Identity = "always"
					}
				}
			}
		}
	case pg_query.AlterTableType_AT_DropIdentity:
		if needCol() {
			col.Identity = ""
			for _, s := range append([]*inspect.Sequence(nil), r.db.Sequences...) {
				if s.OwnedBy == t.Schema+"."+t.Name+"."+col.Name {
					r.removeSequence(s)
				}
			}
		}
	case pg_query.AlterTableType_AT_DropExpression:
		if needCol() {
			col.Generated, col.GeneratedExpr = "", ""
		}
	case pg_query.AlterTableType_AT_AddConstraint:
		if c := cmd.GetDef().GetConstraint(); c != nil {
			con := r.addConstraint(t, c, nil)
			if con != nil && recurse && t.Kind == inspect.RelPartitioned {
				r.propagateConstraint(t, con)
			}
		}
	case pg_query.AlterTableType_AT_DropConstraint:
		r.dropConstraint(t, cmd.GetName())
	case pg_query.AlterTableType_AT_ChangeOwner:
		t.Owner = cmd.GetNewowner().GetRolename()
		r.addRole(t.Owner)
	case pg_query.AlterTableType_AT_SetLogged, pg_query.AlterTableType_AT_SetUnLogged:
		t.Persistence = inspect.Permanent
		if st == pg_query.AlterTableType_AT_SetUnLogged {
			t.Persistence = inspect.Unlogged
		}
		// Sequences the table owns (serial, identity) follow it.
		for _, s := range r.db.Sequences {
			if strings.HasPrefix(s.OwnedBy, t.Schema+"."+t.Name+".") {
				s.Persistence = t.Persistence
			}
		}
	case pg_query.AlterTableType_AT_SetRelOptions, pg_query.AlterTableType_AT_ReplaceRelOptions:
		if st == pg_query.AlterTableType_AT_ReplaceRelOptions {
			t.Options = nil
		}
		for _, o := range relOptions(cmd.GetDef().GetList().GetItems()) {
			t.Options = setOption(t.Options, o)
		}
	case pg_query.AlterTableType_AT_ResetRelOptions:
		for _, o := range cmd.GetDef().GetList().GetItems() {
			t.Options = setOption(t.Options, o.GetDefElem().GetDefname()+"=")
		}
	case pg_query.AlterTableType_AT_EnableTrig, pg_query.AlterTableType_AT_EnableAlwaysTrig,
		pg_query.AlterTableType_AT_EnableReplicaTrig, pg_query.AlterTableType_AT_DisableTrig:
		for _, tg := range t.Triggers {
			if tg.Name == cmd.GetName() {
				tg.Enabled = triggerModes[st]
			}
		}
	case pg_query.AlterTableType_AT_EnableTrigAll, pg_query.AlterTableType_AT_DisableTrigAll,
		pg_query.AlterTableType_AT_EnableTrigUser, pg_query.AlterTableType_AT_DisableTrigUser:
		for _, tg := range t.Triggers {
			tg.Enabled = triggerModes[st]
		}
	case pg_query.AlterTableType_AT_AddInherit:
		if rv := cmd.GetDef().GetRangeVar(); rv != nil {
			t.Inherits = append(t.Inherits, r.refName(rv))
		}
	case pg_query.AlterTableType_AT_DropInherit:
		if rv := cmd.GetDef().GetRangeVar(); rv != nil {
			t.Inherits = removeString(t.Inherits, r.refName(rv))
		}
	case pg_query.AlterTableType_AT_ReplicaIdentity:
		r.replicaIdentity(t, cmd.GetDef().GetReplicaIdentityStmt())
	case pg_query.AlterTableType_AT_EnableRowSecurity, pg_query.AlterTableType_AT_DisableRowSecurity:
		t.RowSecurity = st == pg_query.AlterTableType_AT_EnableRowSecurity
	case pg_query.AlterTableType_AT_ForceRowSecurity, pg_query.AlterTableType_AT_NoForceRowSecurity:
		t.ForceRowSecurity = st == pg_query.AlterTableType_AT_ForceRowSecurity
	case pg_query.AlterTableType_AT_AttachPartition:
		if pc := cmd.GetDef().GetPartitionCmd(); pc != nil {
			if child := r.mustTable(pc.GetName()); child != nil {
				child.PartitionOf = t.Schema + "." + t.Name
				inheritColumns(child, t)
				r.cloneFromParent(t, child, true)
			}
		}
	case pg_query.AlterTableType_AT_DetachPartition:
		if pc := cmd.GetDef().GetPartitionCmd(); pc != nil {
			if child := r.table(pc.GetName()); child != nil {
				child.PartitionOf = ""
			}
		}
	}
}

// propagateConstraint adds a constraint added to a partitioned table
// (without ONLY) to its partitions, as PostgreSQL does.
func (r *schemaReader) propagateConstraint(t *inspect.Table, con *inspect.Constraint) {
	for _, child := range r.partitions(t) {
		switch con.Type {
		case inspect.Check, inspect.ForeignKey:
			if !hasConstraint(child, con.Name) {
				cc := *con
				cc.Pos = child.Pos
				child.Constraints = append(child.Constraints, &cc)
				r.conNames[qname{child.Schema, cc.Name}] = true
			}
		default:
			for _, ix := range t.Indexes {
				if ix.Constraint == con.Name {
					r.cloneIndex(t, child, ix)
				}
			}
		}
		if child.Kind == inspect.RelPartitioned {
			r.propagateConstraint(child, con)
		}
	}
}

func (r *schemaReader) dropConstraint(t *inspect.Table, name string) {
	for i, c := range t.Constraints {
		if c.Name == name {
			t.Constraints = append(t.Constraints[:i], t.Constraints[i+1:]...)
			delete(r.conNames, qname{t.Schema, name})
			break
		}
	}
	for i, ix := range t.Indexes {
		if ix.Constraint == name {
			t.Indexes = append(t.Indexes[:i], t.Indexes[i+1:]...)
			delete(r.relNames, qname{t.Schema, ix.Name})
			break
		}
	}
}

// replicaIdentity applies REPLICA IDENTITY DEFAULT|FULL|NOTHING|USING INDEX.
func (r *schemaReader) replicaIdentity(t *inspect.Table, ri *pg_query.ReplicaIdentityStmt) {
	t.ReplicaIdentityIndex = ""
	for _, ix := range t.Indexes {
		ix.ReplicaIdentity = false
	}
	switch ri.GetIdentityType() {
	case "f":
		t.ReplicaIdentity = inspect.IdentityFull
	case "n":
		t.ReplicaIdentity = inspect.IdentityNothing
	case "i":
		t.ReplicaIdentity = inspect.IdentityIndex
		t.ReplicaIdentityIndex = ri.GetName()
		found := false
		for _, ix := range t.Indexes {
			if ix.Name == ri.GetName() {
				ix.ReplicaIdentity, found = true, true
			}
		}
		if !found {
			r.errorf(-1, "index "+inspect.QuoteIdent(ri.GetName())+" for the replica identity of "+t.QualifiedName()+" is not defined in the schema input")
		}
	default:
		t.ReplicaIdentity = inspect.IdentityDefault
	}
}

// setOption sets "name=value" in a reloptions list; "name=" removes it.
func setOption(opts []string, o string) []string {
	name, value, _ := strings.Cut(o, "=")
	out := opts[:0:0]
	replaced := false
	for _, have := range opts {
		if n, _, _ := strings.Cut(have, "="); n == name {
			if value != "" && !replaced {
				out = append(out, o)
				replaced = true
			}
			continue
		}
		out = append(out, have)
	}
	if value != "" && !replaced {
		out = append(out, o)
	}
	return out
}

func removeString(list []string, s string) []string {
	var out []string
	for _, have := range list {
		if have != s {
			out = append(out, have)
		}
	}
	return out
}
