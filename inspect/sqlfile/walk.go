package sqlfile

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

var nodeDescriptor = (&pg_query.Node{}).ProtoReflect().Descriptor()

// walk calls fn for root and every parse-tree message below it, depth
// first, in field order. The Node wrappers themselves are not passed: fn
// sees the statement or expression inside (*pg_query.SelectStmt,
// *pg_query.RangeVar, ...). When fn returns false the children of that
// message are skipped.
func walk(root proto.Message, fn func(proto.Message) bool) {
	if root == nil {
		return
	}
	walkReflect(root.ProtoReflect(), fn)
}

func walkReflect(m protoreflect.Message, fn func(proto.Message) bool) {
	if !m.IsValid() {
		return
	}
	if m.Descriptor() == nodeDescriptor {
		// A Node holds exactly one of its oneof fields.
		var inner protoreflect.Message
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Kind() == protoreflect.MessageKind {
				inner = v.Message()
			}
			return false
		})
		if inner != nil {
			walkReflect(inner, fn)
		}
		return
	}
	if !fn(m.Interface()) {
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walkReflect(l.Get(i).Message(), fn)
			}
			return true
		}
		if fd.IsMap() {
			return true
		}
		walkReflect(v.Message(), fn)
		return true
	})
}
