package sqlfile

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stmt"
)

// createView reads CREATE VIEW and CREATE MATERIALIZED VIEW. Column types
// of a view need the planner, so views carry no columns offline.
func (r *schemaReader) createView(rv *pg_query.RangeVar, kind inspect.RelKind, query *pg_query.Node, replace bool) {
	if replace {
		if t := r.table(rv); t != nil {
			t.Definition = deparseStmt(query)
			return
		}
	}
	if t := r.newTable(rv, kind, false); t != nil {
		t.Definition = deparseStmt(query)
	}
}

// createTableAs reads CREATE MATERIALIZED VIEW and CREATE TABLE AS.
func (r *schemaReader) createTableAs(c *pg_query.CreateTableAsStmt) {
	into := c.GetInto()
	if c.GetObjtype() == pg_query.ObjectType_OBJECT_MATVIEW {
		if t := r.newTable(into.GetRel(), inspect.RelMatView, c.GetIfNotExists()); t != nil {
			t.Definition = deparseStmt(c.GetQuery())
			t.Options = relOptions(into.GetOptions())
		}
		return
	}
	if t := r.newTable(into.GetRel(), inspect.RelTable, c.GetIfNotExists()); t != nil {
		t.Options = relOptions(into.GetOptions())
	}
}

// deparseStmt renders a statement with the parser's deparser.
func deparseStmt(n *pg_query.Node) string {
	if n == nil {
		return ""
	}
	s, err := pg_query.Deparse(&pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: n}}})
	if err != nil {
		return ""
	}
	return s
}

// figureIndexColname is the name PostgreSQL derives from an index
// expression when it names the index: the function or column name, else
// "expr".
func figureIndexColname(n *pg_query.Node) string {
	switch {
	case n.GetColumnRef() != nil:
		return stmt.ColumnName(n)
	case n.GetFuncCall() != nil:
		_, name := stmt.FuncNameParts(n.GetFuncCall().GetFuncname())
		return name
	case n.GetTypeCast() != nil:
		if s := figureIndexColname(n.GetTypeCast().GetArg()); s != "expr" {
			return s
		}
		_, name := stmt.TypeNameParts(n.GetTypeCast().GetTypeName())
		return name
	case n.GetCoalesceExpr() != nil:
		return "coalesce"
	case n.GetMinMaxExpr() != nil:
		if n.GetMinMaxExpr().GetOp() == pg_query.MinMaxOp_IS_LEAST {
			return "least"
		}
		return "greatest"
	case n.GetCollateClause() != nil:
		return figureIndexColname(n.GetCollateClause().GetArg())
	case n.GetAExpr() != nil && n.GetAExpr().GetKind() == pg_query.A_Expr_Kind_AEXPR_NULLIF:
		return "nullif"
	}
	return "expr"
}

// cookedColname is the name PostgreSQL derives for an index expression
// when it copies the index (LIKE ... INCLUDING INDEXES): only the node
// kinds that look the same before and after parse analysis are named.
func cookedColname(n *pg_query.Node) string {
	switch {
	case n.GetCoalesceExpr() != nil, n.GetMinMaxExpr() != nil:
		return figureIndexColname(n)
	case n.GetCaseExpr() != nil:
		return "case"
	}
	return "expr"
}

// createIndex reads CREATE [UNIQUE] INDEX, on partitioned tables also
// creating the partitions' indexes unless ONLY.
func (r *schemaReader) createIndex(is *pg_query.IndexStmt) {
	t := r.mustTable(is.GetRelation())
	if t == nil {
		return
	}
	p := r.printer(t)
	ix := &inspect.Index{Unique: is.GetUnique(), Valid: true, Method: "btree", Deferrable: is.GetDeferrable(), Pos: r.pos(is.GetRelation().GetLocation())}
	if m := is.GetAccessMethod(); m != "" {
		ix.Method = m
	}
	var nameCols, basis []string
	for _, e := range is.GetIndexParams() {
		ie := e.GetIndexElem()
		text, isExpr := stmt.IndexElemText(p, ie)
		ix.Columns = append(ix.Columns, text)
		ix.Expression = ix.Expression || isExpr
		switch {
		case ie.GetIndexcolname() != "":
			nameCols = append(nameCols, ie.GetIndexcolname())
		case isExpr:
			nameCols = append(nameCols, figureIndexColname(ie.GetExpr()))
		default:
			nameCols = append(nameCols, text)
		}
		if isExpr {
			basis = append(basis, cookedColname(ie.GetExpr()))
		} else {
			basis = append(basis, text)
		}
	}
	if w := is.GetWhereClause(); w != nil {
		ix.Predicate = p.Print(w, "text")
	}
	ix.Name = is.GetIdxname()
	if ix.Name != "" && r.relNames[qname{t.Schema, ix.Name}] {
		if !is.GetIfNotExists() {
			r.errorf(is.GetRelation().GetLocation(), "relation "+inspect.QuoteQualified(t.Schema, ix.Name)+" is defined twice")
		}
		return
	}
	if ix.Name == "" {
		ix.Name = chooseName(t.Name, nameAddition(nameCols), "idx", r.relTaken(t.Schema))
	}
	r.relNames[qname{t.Schema, ix.Name}] = true
	r.indexBasis[ix] = basis
	t.Indexes = append(t.Indexes, ix)
	if t.Kind == inspect.RelPartitioned && is.GetRelation().GetInh() {
		r.propagateIndex(t, ix)
	}
}

func (r *schemaReader) propagateIndex(t *inspect.Table, ix *inspect.Index) {
	for _, child := range r.partitions(t) {
		r.cloneIndex(t, child, ix)
		if child.Kind == inspect.RelPartitioned {
			r.propagateIndex(child, ix)
		}
	}
}
