package sqlfile

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stmt"
)

// Trigger type bits, as pg_trigger.tgtype.
const (
	tgRow      = 1 << 0
	tgBefore   = 1 << 1
	tgInsert   = 1 << 2
	tgDelete   = 1 << 3
	tgUpdate   = 1 << 4
	tgTruncate = 1 << 5
	tgInstead  = 1 << 6
)

func (r *schemaReader) createTrigger(ct *pg_query.CreateTrigStmt, loc int32) {
	t := r.mustTable(ct.GetRelation())
	if t == nil {
		return
	}
	tg := &inspect.Trigger{Name: ct.GetTrigname(), Enabled: inspect.TriggerOrigin, Timing: "after", Level: "statement",
		Function: r.functionName(ct.GetFuncname()), Constraint: ct.GetIsconstraint(), Pos: r.pos(loc)}
	switch {
	case ct.GetTiming()&tgBefore != 0:
		tg.Timing = "before"
	case ct.GetTiming()&tgInstead != 0:
		tg.Timing = "instead of"
	}
	if ct.GetRow() {
		tg.Level = "row"
	}
	for _, ev := range []struct {
		bit  int32
		name string
	}{{tgInsert, "insert"}, {tgDelete, "delete"}, {tgUpdate, "update"}, {tgTruncate, "truncate"}} {
		if ct.GetEvents()&ev.bit != 0 {
			tg.Events = append(tg.Events, ev.name)
		}
	}
	for i, have := range t.Triggers {
		if have.Name == tg.Name {
			if ct.GetReplace() {
				t.Triggers[i] = tg
			} else {
				r.errorf(loc, "trigger "+inspect.QuoteIdent(tg.Name)+" on "+t.QualifiedName()+" is defined twice")
			}
			return
		}
	}
	t.Triggers = append(t.Triggers, tg)
}

var ruleEvents = map[pg_query.CmdType]string{
	pg_query.CmdType_CMD_SELECT: "select", pg_query.CmdType_CMD_INSERT: "insert",
	pg_query.CmdType_CMD_UPDATE: "update", pg_query.CmdType_CMD_DELETE: "delete",
}

func (r *schemaReader) createRule(rs *pg_query.RuleStmt, loc int32) {
	t := r.mustTable(rs.GetRelation())
	if t == nil {
		return
	}
	if rs.GetRulename() == "_RETURN" && rs.GetEvent() == pg_query.CmdType_CMD_SELECT {
		// pg_dump turns a table into a view this way to break cycles.
		t.Kind, t.ReplicaIdentity = inspect.RelView, inspect.IdentityNothing
		if len(rs.GetActions()) == 1 {
			t.Definition = deparseStmt(rs.GetActions()[0])
		}
		return
	}
	rule := &inspect.Rule{Name: rs.GetRulename(), Event: ruleEvents[rs.GetEvent()], Instead: rs.GetInstead(), Pos: r.pos(loc)}
	for i, have := range t.Rules {
		if have.Name == rule.Name {
			t.Rules[i] = rule
			return
		}
	}
	t.Rules = append(t.Rules, rule)
}

func (r *schemaReader) createFunction(cf *pg_query.CreateFunctionStmt, loc int32) {
	schema, name := stmt.FuncNameParts(cf.GetFuncname())
	if schema == "" {
		schema = r.creationSchema(&pg_query.RangeVar{})
	}
	f := &inspect.Function{Schema: schema, Name: name, Args: r.functionArgs(cf.GetParameters(), cf.GetIsProcedure()), Volatility: "volatile", Pos: r.pos(loc)}
	for _, o := range cf.GetOptions() {
		d := o.GetDefElem()
		switch d.GetDefname() {
		case "language":
			f.Language = strings.ToLower(d.GetArg().GetString_().GetSval())
		case "volatility":
			f.Volatility = d.GetArg().GetString_().GetSval()
		case "set":
			if v := d.GetArg().GetVariableSetStmt(); v != nil {
				f.Config = append(f.Config, configText(v))
			}
		case "as":
			if items := d.GetArg().GetList().GetItems(); len(items) > 0 {
				f.Body = items[0].GetString_().GetSval()
			}
		}
	}
	if f.Body == "" && cf.GetSqlBody() != nil {
		f.Body = sqlBody(r.rw.text)
	}
	key := f.Schema + "." + f.Name + "(" + f.Args + ")"
	if have := r.functions[key]; have != nil {
		*have = *f
		return
	}
	r.funcSigs[f] = [2]string{r.argTypes(cf.GetParameters(), cf.GetIsProcedure()), r.argTypesOf(cf.GetParameters(), cf.GetIsProcedure(), true)}
	r.functions[key] = f
	r.db.Functions = append(r.db.Functions, f)
}

// sqlBody returns the SQL-standard body of CREATE FUNCTION/PROCEDURE as
// written, from BEGIN ATOMIC or RETURN to the end (a dump's text is what
// pg_get_function_sqlbody prints).
func sqlBody(text string) string {
	toks := stmt.Tokens(text)
	depth := 0
	for i, t := range toks {
		switch {
		case t.Text == "(":
			depth++
		case t.Text == ")":
			depth--
		case depth == 0 && t.Is("begin") && i+1 < len(toks) && toks[i+1].Is("atomic"),
			depth == 0 && t.Is("return"):
			return strings.TrimSpace(text[t.Start:])
		}
	}
	return ""
}

// functionArgs renders the arguments as pg_get_function_identity_arguments
// does: "a integer, VARIADIC b text[]"; OUT arguments are left out of a
// function's, and a procedure's spell out IN and OUT.
func (r *schemaReader) functionArgs(params []*pg_query.Node, procedure bool) string {
	var parts []string
	for _, n := range params {
		fp := n.GetFunctionParameter()
		prefix := ""
		switch fp.GetMode() {
		case pg_query.FunctionParameterMode_FUNC_PARAM_TABLE:
			continue
		case pg_query.FunctionParameterMode_FUNC_PARAM_OUT:
			if !procedure {
				continue
			}
			prefix = "OUT "
		case pg_query.FunctionParameterMode_FUNC_PARAM_IN, pg_query.FunctionParameterMode_FUNC_PARAM_DEFAULT:
			if procedure {
				prefix = "IN "
			}
		case pg_query.FunctionParameterMode_FUNC_PARAM_INOUT:
			prefix = "INOUT "
		case pg_query.FunctionParameterMode_FUNC_PARAM_VARIADIC:
			prefix = "VARIADIC "
		}
		if fp.GetName() != "" {
			prefix += inspect.QuoteIdent(fp.GetName()) + " "
		}
		parts = append(parts, prefix+r.typeName(fp.GetArgType()))
	}
	return strings.Join(parts, ", ")
}

// configText renders a SET clause of a function as proconfig stores it:
// "search_path=public, pg_temp".
func configText(v *pg_query.VariableSetStmt) string {
	var vals []string
	for _, a := range v.GetArgs() {
		s, ok := stmt.StringArg(a)
		if !ok {
			s = stmt.DefArgText(a)
		}
		if strings.EqualFold(v.GetName(), "search_path") {
			for _, part := range splitSearchPath(s) {
				vals = append(vals, inspect.QuoteIdent(part))
			}
			if s == "" {
				vals = append(vals, `""`)
			}
			continue
		}
		vals = append(vals, s)
	}
	return strings.ToLower(v.GetName()) + "=" + strings.Join(vals, ", ")
}

var eventTriggerModes = map[string]string{
	"O": inspect.TriggerOrigin, "R": inspect.TriggerReplica, "A": inspect.TriggerAlways, "D": inspect.TriggerDisabled,
}

func (r *schemaReader) createEventTrigger(ce *pg_query.CreateEventTrigStmt, loc int32) {
	r.db.EventTriggers = append(r.db.EventTriggers, &inspect.EventTrigger{
		Name: ce.GetTrigname(), Event: ce.GetEventname(), Enabled: inspect.TriggerOrigin,
		Function: r.functionName(ce.GetFuncname()), Pos: r.pos(loc),
	})
}

func (r *schemaReader) alterEventTrigger(ae *pg_query.AlterEventTrigStmt) {
	for _, et := range r.db.EventTriggers {
		if et.Name == ae.GetTrigname() {
			if mode, ok := eventTriggerModes[ae.GetTgenabled()]; ok {
				et.Enabled = mode
			}
		}
	}
}

func (r *schemaReader) createExtension(ce *pg_query.CreateExtensionStmt, loc int32) {
	ext := inspect.Extension{Name: ce.GetExtname(), Pos: r.pos(loc)}
	for _, o := range ce.GetOptions() {
		d := o.GetDefElem()
		switch d.GetDefname() {
		case "schema":
			ext.Schema = d.GetArg().GetString_().GetSval()
		case "new_version":
			ext.Version = stmt.DefArgText(d.GetArg())
		}
	}
	if r.db.HasExtension(ext.Name) {
		return
	}
	r.db.Extensions = append(r.db.Extensions, ext)
}
