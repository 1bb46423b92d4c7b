package stmt

import (
	"reflect"
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// Walk calls fn for root and every parse-tree message below it, depth
// first, in field order. The Node wrappers themselves are not passed: fn
// sees the statement or expression inside (*pg_query.SelectStmt,
// *pg_query.RangeVar, ...). When fn returns false the children of that
// message are skipped.
//
// It uses Go reflection over the generated structs with the child fields
// of each type worked out once, which is several times faster than
// protoreflect's Range on parse trees.
func Walk(root proto.Message, fn func(proto.Message) bool) {
	if root == nil {
		return
	}
	v := reflect.ValueOf(root)
	if v.IsNil() {
		return
	}
	if n, ok := root.(*pg_query.Node); ok {
		walkNode(n, fn)
		return
	}
	walkValue(v, fn)
}

func walkNode(n *pg_query.Node, fn func(proto.Message) bool) {
	if n == nil || n.Node == nil {
		return
	}
	// n.Node is a *Node_X wrapper whose only field is the *X message.
	inner := reflect.ValueOf(n.Node).Elem().Field(0)
	if inner.Kind() == reflect.Pointer && !inner.IsNil() {
		walkValue(inner, fn)
	}
}

var nodeType = reflect.TypeOf((*pg_query.Node)(nil))

type childKind uint8

const (
	childNode     childKind = iota // *Node
	childNodes                     // []*Node
	childMessage                   // *T, T a message
	childMessages                  // []*T
)

type childField struct {
	index int
	kind  childKind
}

var childFields sync.Map // reflect.Type (struct) -> []childField

func fieldsOf(t reflect.Type) []childField {
	if f, ok := childFields.Load(t); ok {
		return f.([]childField)
	}
	var out []childField
	msgType := reflect.TypeOf((*proto.Message)(nil)).Elem()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		switch ft := f.Type; {
		case ft == nodeType:
			out = append(out, childField{i, childNode})
		case ft.Kind() == reflect.Slice && ft.Elem() == nodeType:
			out = append(out, childField{i, childNodes})
		case ft.Kind() == reflect.Pointer && ft.Implements(msgType):
			out = append(out, childField{i, childMessage})
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Pointer && ft.Elem().Implements(msgType):
			out = append(out, childField{i, childMessages})
		}
	}
	childFields.Store(t, out)
	return out
}

// walkValue walks a non-nil pointer to a message other than Node.
func walkValue(v reflect.Value, fn func(proto.Message) bool) {
	if !fn(v.Interface().(proto.Message)) {
		return
	}
	s := v.Elem()
	for _, cf := range fieldsOf(s.Type()) {
		f := s.Field(cf.index)
		switch cf.kind {
		case childNode:
			walkNode(f.Interface().(*pg_query.Node), fn)
		case childNodes:
			for _, n := range f.Interface().([]*pg_query.Node) {
				walkNode(n, fn)
			}
		case childMessage:
			if !f.IsNil() {
				walkValue(f, fn)
			}
		case childMessages:
			for i := 0; i < f.Len(); i++ {
				if e := f.Index(i); !e.IsNil() {
					walkValue(e, fn)
				}
			}
		}
	}
}
