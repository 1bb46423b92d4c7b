package stmt

import (
	"reflect"
	"strings"
	"unicode"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// ddlTags are command tags whose parse node name does not spell them.
var ddlTags = map[string]string{
	"CreateStmt": "CREATE TABLE", "CreateForeignTableStmt": "CREATE FOREIGN TABLE", "IndexStmt": "CREATE INDEX",
	"ViewStmt": "CREATE VIEW", "CreateSeqStmt": "CREATE SEQUENCE", "AlterSeqStmt": "ALTER SEQUENCE",
	"CreateTrigStmt": "CREATE TRIGGER", "RuleStmt": "CREATE RULE", "CreateEventTrigStmt": "CREATE EVENT TRIGGER",
	"AlterEventTrigStmt": "ALTER EVENT TRIGGER", "CreatedbStmt": "CREATE DATABASE", "DropdbStmt": "DROP DATABASE",
	"AlterDatabaseStmt": "ALTER DATABASE", "AlterDatabaseSetStmt": "ALTER DATABASE", "AlterRoleSetStmt": "ALTER ROLE",
	"CreateEnumStmt": "CREATE TYPE", "CompositeTypeStmt": "CREATE TYPE", "CreateRangeStmt": "CREATE TYPE",
	"AlterEnumStmt": "ALTER TYPE", "CreateDomainStmt": "CREATE DOMAIN", "RefreshMatViewStmt": "REFRESH MATERIALIZED VIEW",
	"ReindexStmt": "REINDEX", "CommentStmt": "COMMENT", "SecLabelStmt": "SECURITY LABEL", "CreatePLangStmt": "CREATE LANGUAGE",
	"AlterDefaultPrivilegesStmt": "ALTER DEFAULT PRIVILEGES", "GrantRoleStmt": "GRANT", "CreateCastStmt": "CREATE CAST",
	"CreateOpClassStmt": "CREATE OPERATOR CLASS", "DefineStmt": "CREATE AGGREGATE", "CreateStatsStmt": "CREATE STATISTICS",
	"CreateFdwStmt": "CREATE FOREIGN DATA WRAPPER", "CreateForeignServerStmt": "CREATE SERVER",
	"CreateUserMappingStmt": "CREATE USER MAPPING", "ImportForeignSchemaStmt": "IMPORT FOREIGN SCHEMA",
	"CreateTableSpaceStmt": "CREATE TABLESPACE", "DropTableSpaceStmt": "DROP TABLESPACE",
}

// ddlTag returns the command tag of a DDL statement.
func ddlTag(n *pg_query.Node) string {
	switch {
	case n.GetCreateTableAsStmt() != nil:
		if n.GetCreateTableAsStmt().GetObjtype() == pg_query.ObjectType_OBJECT_MATVIEW {
			return "CREATE MATERIALIZED VIEW"
		}
		return "CREATE TABLE AS"
	case n.GetAlterTableStmt() != nil:
		return "ALTER " + objectTypeName(n.GetAlterTableStmt().GetObjtype())
	case n.GetDropStmt() != nil:
		return "DROP " + objectTypeName(n.GetDropStmt().GetRemoveType())
	case n.GetRenameStmt() != nil:
		return "ALTER " + objectTypeName(n.GetRenameStmt().GetRenameType())
	case n.GetAlterOwnerStmt() != nil:
		return "ALTER " + objectTypeName(n.GetAlterOwnerStmt().GetObjectType())
	case n.GetAlterObjectSchemaStmt() != nil:
		return "ALTER " + objectTypeName(n.GetAlterObjectSchemaStmt().GetObjectType())
	case n.GetCreateFunctionStmt() != nil:
		if n.GetCreateFunctionStmt().GetIsProcedure() {
			return "CREATE PROCEDURE"
		}
		return "CREATE FUNCTION"
	case n.GetGrantStmt() != nil:
		if n.GetGrantStmt().GetIsGrant() {
			return "GRANT"
		}
		return "REVOKE"
	}
	v := reflect.ValueOf(n.GetNode())
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.Elem().NumField() == 0 {
		return ""
	}
	name := v.Elem().Type().Field(0).Name
	if tag, ok := ddlTags[name]; ok {
		return tag
	}
	return camelWords(strings.TrimSuffix(name, "Stmt"))
}

// objectTypeName turns OBJECT_MATVIEW into "MATERIALIZED VIEW".
func objectTypeName(t pg_query.ObjectType) string {
	s := strings.TrimPrefix(t.String(), "OBJECT_")
	switch s {
	case "MATVIEW":
		return "MATERIALIZED VIEW"
	case "LARGEOBJECT":
		return "LARGE OBJECT"
	case "TABCONSTRAINT":
		return "TABLE"
	}
	return strings.ReplaceAll(s, "_", " ")
}

// camelWords turns "CreatePublication" into "CREATE PUBLICATION".
func camelWords(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}
